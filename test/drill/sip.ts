import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { authDbParams, loadModules, registerRoute } from '../kamailio/kamailio-cfg.js';
import { registerScenarioXml } from '../kamailio/sip-runtime.js';
import type { KamailioInstall } from '../support/kamailio.js';
import { ADDRESSES, type Lab, VIP } from './lab.js';
import type { NodeName } from './pg-nodes.js';

export const SIP_PORT = 5060;
export const SIP_USER = 'alice';
export const SIP_DOMAIN = 'example.test';
/** REGISTERs per second sipp sends through the VIP: the RTO's resolution is 1/RATE. */
export const REGISTER_RATE = 20;

/**
 * Kamailio on a node: listens on the node's address and on the VIP (ip_nonlocal_bind lets it
 * bind before the node holds it), authenticates REGISTER against its own node's database and
 * saves with usrloc db_mode 3 (every REGISTER is a write: on a standby it fails, and the phone
 * gets no 200). save flag 0x04 keeps one contact per AoR, so the 200 stays small.
 */
export function drillKamailioConfig(options: { modulesDir: string; node: NodeName; dbUrl: string }): string {
  const db = JSON.stringify(options.dbUrl);
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=2
listen=udp:${ADDRESSES[options.node]}:${SIP_PORT}
listen=udp:${VIP}:${SIP_PORT}
alias="${SIP_DOMAIN}"
auto_aliases=no
mpath="${options.modulesDir}/"

${loadModules(['db_postgres', 'tm', 'sl', 'pv', 'xlog', 'maxfwd', 'textops', 'siputils', 'auth', 'auth_db', 'usrloc', 'registrar'])}

${authDbParams(db)}
modparam("usrloc", "db_url", ${db})
modparam("usrloc", "db_mode", 3)

request_route {
${registerRoute({ saveFlags: '0x04' })}
  sl_send_reply("404", "Not Here");
}
`;
}

/**
 * A phone that registers without pause: one REGISTER (401, then with credentials) every
 * 1/REGISTER_RATE s, each with its own contact (`;n=<call number>`), and the wall-clock time of
 * each 200 logged by sipp itself (`OK <s> <us> <n>`), so the RTO is measured where the phone is.
 */
export function registerLoopScenario(): string {
  return registerScenarioXml({
    name: 'register loop',
    domain: SIP_DOMAIN,
    contactParams: ';n=[call_number]',
    final: `  <recv response="200">
    <action>
      <gettimeofday assign_to="s,us"/>
      <log message="OK [$s] [$us] [call_number]"/>
    </action>
  </recv>`,
  });
}

export interface SippLoop {
  logFile: string;
  child: ChildProcess;
}

/** Starts sipp in the phones namespace, REGISTERing through the VIP until the namespace is emptied. */
export async function startRegisterLoop(lab: Lab, install: KamailioInstall, workDir: string, password: string): Promise<SippLoop> {
  await fs.mkdir(workDir, { recursive: true });
  const scenario = path.join(workDir, 'register-loop.xml');
  await fs.writeFile(scenario, registerLoopScenario());
  const logFile = path.join(workDir, 'sipp-ok.log');
  const errFile = path.join(workDir, 'sipp-errors.log');
  const out = await fs.open(path.join(workDir, 'sipp.out'), 'w');
  const child = lab.spawn(
    'phones',
    install.sipp,
    [
      `${VIP}:${SIP_PORT}`,
      '-sf',
      scenario,
      '-s',
      SIP_USER,
      '-au',
      SIP_USER,
      '-ap',
      password,
      '-i',
      ADDRESSES.phones,
      '-p',
      String(SIP_PORT),
      '-r',
      String(REGISTER_RATE),
      '-nostdin',
      '-trace_logs',
      '-log_file',
      logFile,
      '-trace_err',
      '-error_file',
      errFile,
      '-max_retrans',
      '2',
    ],
    { env: install.env, stdio: ['ignore', out.fd, out.fd], cwd: workDir },
  );
  await out.close();
  return { logFile, child };
}

export interface RegisterOk {
  at: number;
  n: number;
}

/** The 200 OKs sipp logged so far. */
export async function readRegisterOks(loop: SippLoop): Promise<RegisterOk[]> {
  const text = await fs.readFile(loop.logFile, 'utf8').catch(() => '');
  const oks: RegisterOk[] = [];
  for (const m of text.matchAll(/OK (\d+)(?:\.\d+)? (\d+)(?:\.\d+)? (\d+)/g)) {
    oks.push({ at: Number(m[1]) * 1000 + Number(m[2]) / 1000, n: Number(m[3]) });
  }
  return oks;
}

/** Starts Kamailio in the node's namespace; resolves once it has bound the VIP's SIP port. */
export async function startNodeKamailio(lab: Lab, install: KamailioInstall, node: NodeName, workDir: string, dbUrl: string): Promise<void> {
  await fs.mkdir(workDir, { recursive: true });
  const cfg = path.join(workDir, 'kamailio.cfg');
  await fs.writeFile(cfg, drillKamailioConfig({ modulesDir: install.modulesDir, node, dbUrl }), { mode: 0o600 });
  const runDir = path.join(workDir, 'run');
  await fs.mkdir(runDir, { recursive: true });
  const log = await fs.open(path.join(workDir, 'kamailio.log'), 'a');
  const child = lab.spawn(node, install.kamailio, ['-DD', '-E', '-f', cfg, '-Y', runDir, '-m', '64', '-M', '8', '-w', workDir], {
    env: install.env,
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const wanted = `${hexAddress(VIP)}:${SIP_PORT.toString(16).toUpperCase().padStart(4, '0')}`;
  for (let i = 0; i < 300; i++) {
    if (exited)
      throw new Error(`kamailio on ${node} exited during startup:\n${await fs.readFile(path.join(workDir, 'kamailio.log'), 'utf8')}`);
    // /proc/<pid>/net/udp shows the sockets of that process's namespace.
    const table = await fs.readFile(`/proc/${child.pid}/net/udp`, 'utf8').catch(() => '');
    if (table.split('\n').some((l) => l.trim().split(/\s+/)[1] === wanted)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`kamailio on ${node} did not bind ${VIP}:${SIP_PORT} within 30 s`);
}

function hexAddress(address: string): string {
  return address
    .split('.')
    .reverse()
    .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}
