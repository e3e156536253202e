import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KamailioInstall } from '../support/kamailio.js';
import { kamailioConfig } from './kamailio-cfg.js';

/** A free UDP port on loopback (bound then released). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Whether some process has a UDP socket bound to 127.0.0.1:<port> (reads /proc/net/udp). */
function udpPortBound(port: number): boolean {
  const wanted = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((line) => line.trim().split(/\s+/)[1] === wanted);
}

export interface RunningKamailio {
  pid: number;
  logFile: string;
  readLog(): Promise<string>;
  /** SIGTERM to the main process (it stops its children and flushes usrloc), then waits for exit. */
  stop(): Promise<number | null>;
}

/**
 * Starts the unpacked kamailio in the foreground (-DD -E: no daemon, log to stderr, captured
 * in a file) and resolves once it listens on its UDP port. Fails with the log if it exits first.
 */
export async function startKamailio(install: KamailioInstall, cfgFile: string, workDir: string, sipPort: number): Promise<RunningKamailio> {
  const logFile = path.join(workDir, 'kamailio.log');
  const log = await fs.open(logFile, 'w');
  const runDir = path.join(workDir, 'run');
  await fs.mkdir(runDir, { recursive: true });
  const child: ChildProcess = spawn(install.kamailio, ['-DD', '-E', '-f', cfgFile, '-Y', runDir, '-m', '64', '-M', '8', '-w', workDir], {
    env: install.env,
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const readLog = () => fs.readFile(logFile, 'utf8');

  // Startup takes well under a second; allow generously for a loaded CI machine.
  for (let i = 0; i < 300 && !udpPortBound(sipPort); i++) {
    if (done) throw new Error(`kamailio exited during startup:\n${await readLog()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!udpPortBound(sipPort)) {
    child.kill('SIGKILL');
    throw new Error(`kamailio did not listen on udp 127.0.0.1:${sipPort}:\n${await readLog()}`);
  }
  return {
    pid: child.pid!,
    logFile,
    readLog,
    async stop() {
      if (!done) process.kill(child.pid!, 'SIGTERM');
      return exited;
    },
  };
}

/** Runs sipp once (-m 1) with a scenario; resolves with its exit code and output. Killed by pid after `timeoutMs`. */
export async function runSipp(
  install: KamailioInstall,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(install.sipp, args, { env: install.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

/** REGISTER, expect the 401 challenge, REGISTER again with credentials, expect `finalResponse`. */
export function registerScenario(finalResponse: number): string {
  return registerScenarioXml({ name: 'register with digest auth', final: `  <recv response="${finalResponse}"/>` });
}

/**
 * A phone's digest-authenticated registration as a sipp scenario: REGISTER, the 401 challenge,
 * REGISTER again with credentials, then `final` (the XML of the last step, e.g. the expected
 * answer). `contactParams` go at the end of the Contact URI.
 */
export function registerScenarioXml(options: { name: string; final: string; domain?: string; contactParams?: string }): string {
  const domain = options.domain ?? 'example.test';
  const register = (cseq: number, auth: boolean): string => `
  <send retrans="500">
    <![CDATA[
      REGISTER sip:${domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[service]@${domain}>;tag=[pid]reg[call_number]
      To: <sip:[service]@${domain}>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]${options.contactParams ?? ''}>
      Expires: 300
${auth ? '      [authentication]\n' : ''}      Content-Length: 0

    ]]>
  </send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="${options.name}">
${register(1, false)}
  <recv response="401" auth="true"/>
${register(2, true)}
${options.final}
</scenario>
`;
}

export interface LoopbackKamailio {
  sipPort: number;
  kamailio: RunningKamailio;
  /** One sipp call (-m 1) from a fresh local port with a scenario written at start, as `user` with `password`. */
  sipp(scenario: string, user: string, password: string): Promise<{ code: number | null; output: string; localPort: number }>;
  /** Stops Kamailio (if the test has not) and removes its folder. */
  close(): Promise<void>;
}

/**
 * Kamailio on loopback as the end-to-end tests run it: the test configuration (kamailio-cfg.ts)
 * against `dbUrl` in a new temporary folder, beside it the register scenarios (register-ok.xml,
 * register-rejected.xml) and any of the test's own `scenarios` (file name to XML).
 */
export async function startLoopbackKamailio(
  install: KamailioInstall,
  dbUrl: string,
  options: { label: string; routingProbe?: boolean; scenarios?: Record<string, string> },
): Promise<LoopbackKamailio> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), `voipdb-${options.label}-`));
  try {
    const sipPort = await freeUdpPort();
    const cfg = path.join(workDir, 'kamailio.cfg');
    const config = kamailioConfig({
      modulesDir: install.modulesDir,
      sipPort,
      dbUrl,
      ...(options.routingProbe ? { routingProbe: true } : {}),
    });
    await fs.writeFile(cfg, config, { mode: 0o600 });
    const scenarios = { 'register-ok.xml': registerScenario(200), 'register-rejected.xml': registerScenario(401), ...options.scenarios };
    for (const [file, xml] of Object.entries(scenarios)) await fs.writeFile(path.join(workDir, file), xml);
    const kamailio = await startKamailio(install, cfg, workDir, sipPort);
    return {
      sipPort,
      kamailio,
      sipp: async (scenario, user, password) => {
        const localPort = await freeUdpPort();
        const args = [`127.0.0.1:${sipPort}`, '-sf', path.join(workDir, scenario), '-s', user, '-au', user, '-ap', password];
        args.push('-i', '127.0.0.1', '-p', String(localPort), '-m', '1', '-nostdin', '-timeout', '20s', '-timeout_error');
        return { ...(await runSipp(install, args)), localPort };
      },
      close: async () => {
        await kamailio.stop();
        await fs.rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fs.rm(workDir, { recursive: true, force: true });
    throw error;
  }
}
