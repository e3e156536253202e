import { type ChildProcess, execFile, spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The drill's network: Linux network namespaces joined by one bridge and nothing else.
 *
 *   <id>-br      br0 172.16.91.1/24 (the witness the nodes ping as tie-breaker) + one veth per member
 *   <id>-node1   eth0 172.16.91.101/24
 *   <id>-node2   eth0 172.16.91.102/24
 *   <id>-phones  eth0 172.16.91.50/24  (sipp, the CDR poster)
 *
 * Every interface is created from inside a namespace of the lab (`ip -n <br> link add ... peer
 * ... netns <member>`), so nothing is ever added to the machine's own (root) namespace, and no
 * namespace has a route beyond 172.16.91.0/24: `checkIsolated` proves both before anything runs.
 * Names carry our pid, so a later run removes the leftovers of a killed one (`removeLeftovers`).
 */

export const SUBNET = '172.16.91';
export const VIP = `${SUBNET}.100`;
export const WITNESS = `${SUBNET}.1`;
export const ADDRESSES = { node1: `${SUBNET}.101`, node2: `${SUBNET}.102`, phones: `${SUBNET}.50` } as const;
export type Member = keyof typeof ADDRESSES;
export const MEMBERS = Object.keys(ADDRESSES) as Member[];

const PREFIX = 'vdrill';
const NAME_PATTERN = new RegExp(`^${PREFIX}-(\\d+)-[0-9a-f]+-`);

export interface Lab {
  id: string;
  /** Namespace name of a member, or of the bridge ('br'). */
  ns(member: Member | 'br'): string;
  /** Runs a program inside a namespace to completion; rejects with its output on a non-zero exit. */
  exec(member: Member | 'br', cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** Starts a long-running program inside a namespace (`ip netns exec` execs it: the pid is the program's). */
  spawn(member: Member, cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Every process running in the member's namespace. */
  pids(member: Member): Promise<number[]>;
  /** SIGKILL to every process of the member (a node losing power), waiting until they are gone. */
  killAll(member: Member): Promise<number>;
  /** The command lines of the processes in the member's namespace. */
  commandLines(member: Member): Promise<string[]>;
  /** Takes the member's port off the bridge: its link stays up, nothing reaches it (a switch port gone). */
  cutLink(member: Member): Promise<void>;
  restoreLink(member: Member): Promise<void>;
  /** Whether the address is configured in the member's namespace. */
  hasAddress(member: Member, address: string): Promise<boolean>;
  destroy(): Promise<void>;
}

async function ip(args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { timeout: 20_000 })).stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

async function listNamespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function namespacePids(ns: string): Promise<number[]> {
  const out = await ip(['netns', 'pids', ns]).catch(() => '');
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

async function killNamespace(ns: string): Promise<number> {
  const killed = new Set<number>();
  // A node that dies does nothing more: every process is frozen first, so none sees another die and
  // reacts (Keepalived's VRRP child, told of its parent's death, would resign the VIP gracefully,
  // which a power loss never does, and the VIP would move in a fraction of its real time).
  for (const pid of await namespacePids(ns)) {
    try {
      process.kill(pid, 'SIGSTOP');
    } catch {
      /* gone already */
    }
  }
  // Processes may fork while we kill (pg's postmaster, kamailio): repeat until the namespace is empty.
  for (let round = 0; round < 50; round++) {
    const pids = await namespacePids(ns);
    if (pids.length === 0) {
      await waitReaped(killed);
      return killed.size;
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        /* gone already */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`processes in namespace ${ns} survive SIGKILL: ${(await namespacePids(ns)).join(', ')}`);
}

/**
 * Waits until killed processes are reaped, not only dead. A daemonized postmaster's parent is
 * PID 1, which on some machines (a sandbox's own init) reaps late; until then the zombie's pid
 * still "exists", and a new postmaster refuses to start because the old lock file names a live pid.
 */
async function waitReaped(pids: Set<number>): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const left = [...pids].filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`killed processes not reaped by their parent after 15 s (zombies): ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function deleteNamespace(ns: string): Promise<void> {
  await killNamespace(ns);
  await ip(['netns', 'delete', ns]).catch(() => undefined);
}

/** Removes the namespaces of earlier runs whose process is gone (a run killed before its cleanup). */
export async function removeLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await listNamespaces()) {
    const match = NAME_PATTERN.exec(ns);
    if (!match || alive(Number(match[1]))) continue;
    await deleteNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/** Which tools the lab needs; fails naming the missing ones. */
export async function checkTools(): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error('the drill needs root (ip netns, keepalived); run the tests as root as CI does');
  }
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['keepalived', 'keepalived'],
    ['setpriv', 'util-linux'],
  ] as const) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      throw new Error(`the drill needs ${tool}: apt-get install ${pkg} (behind a policy-rc.d that exits 101, as .ci/run does)`);
    }
  }
}

export async function createLab(): Promise<Lab> {
  await checkTools();
  await removeLeftovers();
  const id = `${PREFIX}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const ns = (member: Member | 'br'): string => `${id}-${member}`;
  const created: string[] = [];
  const destroy = async (): Promise<void> => {
    for (const name of [...created].reverse()) await deleteNamespace(name);
    created.length = 0;
  };
  const exec = async (member: Member | 'br', cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> => {
    try {
      const { stdout, stderr } = await run('ip', ['netns', 'exec', ns(member), cmd, ...args], {
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(env ? { env } : {}),
      });
      return stdout + stderr;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`[${member}] ${cmd} ${args.join(' ')} failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`);
    }
  };
  try {
    for (const member of ['br', ...MEMBERS] as const) {
      await ip(['netns', 'add', ns(member)]);
      created.push(ns(member));
      await ip(['-n', ns(member), 'link', 'set', 'lo', 'up']);
      // IPv4 only: no IPv6 link-local routes, so "only 172.16.91.0/24" is the whole routing table.
      await exec(member, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    const br = ns('br');
    // A fixed MAC: a bridge otherwise takes its lowest port's, so cutting node 1's port would change
    // the witness's MAC and leave node 2's ARP entry for it stale for seconds (a gateway's MAC does not move).
    await ip(['-n', br, 'link', 'add', 'br0', 'address', '02:00:ac:10:5b:01', 'type', 'bridge']);
    await ip(['-n', br, 'addr', 'add', `${WITNESS}/24`, 'dev', 'br0']);
    await ip(['-n', br, 'link', 'set', 'br0', 'up']);
    for (const member of MEMBERS) {
      const port = `p-${member}`;
      await ip(['-n', br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(member)]);
      await ip(['-n', br, 'link', 'set', port, 'master', 'br0', 'up']);
      await ip(['-n', ns(member), 'addr', 'add', `${ADDRESSES[member]}/24`, 'dev', 'eth0']);
      await ip(['-n', ns(member), 'link', 'set', 'eth0', 'up']);
      // Kamailio listens on the VIP before the node holds it (as the platform's nodes do).
      if (member !== 'phones') await exec(member, 'sysctl', ['-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
    }
    await checkIsolated({ id, ns, exec });
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    id,
    ns,
    exec,
    spawn(member, cmd, args, options = {}) {
      return spawn('ip', ['netns', 'exec', ns(member), cmd, ...args], options);
    },
    pids: (member) => namespacePids(ns(member)),
    killAll: (member) => killNamespace(ns(member)),
    async commandLines(member) {
      const lines: string[] = [];
      for (const pid of await namespacePids(ns(member))) {
        const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (raw) lines.push(raw.split('\0').join(' ').trim());
      }
      return lines;
    },
    async cutLink(member) {
      await ip(['-n', ns('br'), 'link', 'set', `p-${member}`, 'nomaster']);
    },
    async restoreLink(member) {
      await ip(['-n', ns('br'), 'link', 'set', `p-${member}`, 'master', 'br0']);
    },
    async hasAddress(member, address) {
      const out = await ip(['-n', ns(member), '-4', '-o', 'addr', 'show']);
      return out.includes(` ${address}/`);
    },
    destroy,
  };
}

/**
 * Fails loudly unless every namespace of the lab routes only 172.16.91.0/24 and cannot reach any
 * address of the machine's own namespace (each is looked up and connected to from each namespace).
 */
export async function checkIsolated(lab: Pick<Lab, 'id' | 'ns' | 'exec'>): Promise<void> {
  const problems: string[] = [];
  const rootAddresses = (await ip(['-4', '-o', 'addr', 'show']))
    .split('\n')
    .map((l) => /inet (\d+\.\d+\.\d+\.\d+)\//.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && !a.startsWith('127.') && !a.startsWith(`${SUBNET}.`));
  // With no address besides loopback the machine has nothing to reach; a public one still must fail.
  const targets = [...rootAddresses, '1.1.1.1'];
  const checkOne = async (member: Member | 'br'): Promise<void> => {
    const name = lab.ns(member);
    const routes = (await ip(['-n', name, '-4', 'route', 'show', 'table', 'main'])).trim().split('\n').filter(Boolean);
    const foreign = routes.filter((r) => !r.startsWith(`${SUBNET}.0/24 `));
    if (foreign.length > 0) problems.push(`${name} has routes beyond ${SUBNET}.0/24: ${foreign.join('; ')}`);
    const v6 = (await ip(['-n', name, '-6', 'route', 'show'])).trim();
    if (v6) problems.push(`${name} has IPv6 routes: ${v6.replaceAll('\n', '; ')}`);
    for (const target of targets) {
      const reachable = await ip(['-n', name, 'route', 'get', target]).then(
        () => true,
        () => false,
      );
      if (reachable) problems.push(`${name} has a route to ${target}`);
      // And an actual TCP connection attempt (any port): must fail at once with ENETUNREACH.
      const script = `require('net').connect(22, '${target}').on('error', (e) => console.log(e.code)).on('connect', () => console.log('CONNECTED')).setTimeout(5000, () => { console.log('TIMEOUT'); process.exit(0); })`;
      const outcome = (await lab.exec(member, process.execPath, ['-e', script]).catch((e: Error) => e.message)).trim();
      if (outcome !== 'ENETUNREACH') problems.push(`${name}: a TCP connection to ${target}:22 did not fail with ENETUNREACH: ${outcome}`);
    }
  };
  await Promise.all((['br', ...MEMBERS] as const).map(checkOne));
  if (problems.length > 0) {
    throw new Error(`the drill's namespaces are not isolated from the machine's network:\n  ${problems.join('\n  ')}`);
  }
}
