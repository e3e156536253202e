import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import { TopologyInvalidError } from '../errors.js';
import type { DatabaseTls, NodeRole, Topology, TopologyNode } from './types.js';

const DEFAULTS = {
  vip: { httpPort: 8080, httpScheme: 'http' as const },
  database: { name: 'voipdb', port: 5432, localHost: '127.0.0.1' },
  tls: {
    sslmode: 'verify-full' as const,
    caFile: '/etc/voipdb/tls/root.crt',
    certFile: '/etc/voipdb/tls/server.crt',
    keyFile: '/etc/voipdb/tls/server.key',
  },
  roles: { kamailio: 'kamailio', voipadmin: 'voipadmin', replicator: 'replicator' },
  secrets: {
    kamailioPasswordFile: '/etc/voipdb/secrets/kamailio.password',
    voipadminPasswordFile: '/etc/voipdb/secrets/voipadmin.password',
    replicatorPassfile: '/etc/voipdb/secrets/replicator.pgpass',
  },
  freeswitch: { directoryPath: '/freeswitch/directory', cdrPath: '/freeswitch/cdr' },
};

const KNOWN_KEYS: Record<string, string[]> = {
  '': ['vip', 'database', 'roles', 'secrets', 'freeswitch', 'nodes'],
  vip: ['address', 'httpPort', 'httpScheme'],
  database: ['name', 'port', 'localHost', 'tls'],
  'database.tls': ['sslmode', 'caFile', 'certFile', 'keyFile'],
  roles: ['kamailio', 'voipadmin', 'replicator'],
  secrets: ['kamailioPasswordFile', 'voipadminPasswordFile', 'replicatorPassfile'],
  freeswitch: ['directoryPath', 'cdrPath'],
  node: ['name', 'address', 'role', 'caFile'],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and validates a topology (YAML). Collects every problem — unknown keys, a missing or
 * second primary, malformed or duplicate addresses, duplicate names — and throws them together
 * as one TopologyInvalidError, so a bad file is fixed in one round.
 */
export function parseTopology(text: string, source = 'topology'): Topology {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    // The message's first line already says "at line L, column C"; the excerpt below it is dropped.
    throw new TopologyInvalidError(
      source,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}`),
    );
  }
  const raw: unknown = doc.toJS();
  const problems: string[] = [];
  if (!isObj(raw)) throw new TopologyInvalidError(source, ['the file must be a YAML mapping with `vip` and `nodes`']);

  unknownKeys(raw, '', '', problems);
  const section = (name: string): Obj => {
    const v = raw[name];
    if (v === undefined) return {};
    if (!isObj(v)) {
      problems.push(`${name} must be a mapping`);
      return {};
    }
    unknownKeys(v, name, name, problems);
    return v;
  };
  const vipRaw = section('vip');
  const dbRaw = section('database');
  const rolesRaw = section('roles');
  const secretsRaw = section('secrets');
  const fsRaw = section('freeswitch');

  if (raw.vip === undefined) problems.push('vip is missing (vip: { address: 172.16.91.100 })');
  const vipAddress = address(vipRaw.address, 'vip.address', problems);
  const topology: Topology = {
    vip: {
      address: vipAddress ?? '',
      httpPort: port(vipRaw.httpPort, 'vip.httpPort', DEFAULTS.vip.httpPort, problems),
      httpScheme: oneOf(vipRaw.httpScheme, 'vip.httpScheme', ['http', 'https'] as const, DEFAULTS.vip.httpScheme, problems),
    },
    database: {
      name: identifier(dbRaw.name, 'database.name', DEFAULTS.database.name, problems),
      port: port(dbRaw.port, 'database.port', DEFAULTS.database.port, problems),
      localHost: word(dbRaw.localHost, 'database.localHost', DEFAULTS.database.localHost, problems),
      ...(dbRaw.tls !== undefined ? { tls: parseTls(dbRaw.tls, problems) } : {}),
    },
    roles: {
      kamailio: identifier(rolesRaw.kamailio, 'roles.kamailio', DEFAULTS.roles.kamailio, problems),
      voipadmin: identifier(rolesRaw.voipadmin, 'roles.voipadmin', DEFAULTS.roles.voipadmin, problems),
      replicator: identifier(rolesRaw.replicator, 'roles.replicator', DEFAULTS.roles.replicator, problems),
    },
    secrets: {
      kamailioPasswordFile: absolutePath(
        secretsRaw.kamailioPasswordFile,
        'secrets.kamailioPasswordFile',
        DEFAULTS.secrets.kamailioPasswordFile,
        problems,
      ),
      voipadminPasswordFile: absolutePath(
        secretsRaw.voipadminPasswordFile,
        'secrets.voipadminPasswordFile',
        DEFAULTS.secrets.voipadminPasswordFile,
        problems,
      ),
      replicatorPassfile: absolutePath(
        secretsRaw.replicatorPassfile,
        'secrets.replicatorPassfile',
        DEFAULTS.secrets.replicatorPassfile,
        problems,
      ),
    },
    freeswitch: {
      directoryPath: urlPath(fsRaw.directoryPath, 'freeswitch.directoryPath', DEFAULTS.freeswitch.directoryPath, problems),
      cdrPath: urlPath(fsRaw.cdrPath, 'freeswitch.cdrPath', DEFAULTS.freeswitch.cdrPath, problems),
    },
    nodes: parseNodes(raw.nodes, problems),
  };

  const primaries = topology.nodes.filter((n) => n.role === 'primary');
  if (topology.nodes.length > 0 && primaries.length === 0) problems.push('no node has role primary: exactly one must');
  if (primaries.length > 1)
    problems.push(`${primaries.length} nodes have role primary (${primaries.map((n) => n.name).join(', ')}): exactly one may`);

  const seenNames = new Map<string, number>();
  for (const n of topology.nodes) seenNames.set(n.name, (seenNames.get(n.name) ?? 0) + 1);
  for (const [name, count] of seenNames) if (count > 1 && name !== '') problems.push(`node name ${name} is used ${count} times`);

  const owners = new Map<string, string[]>();
  const own = (addr: string, who: string): void => {
    if (addr) owners.set(addr, [...(owners.get(addr) ?? []), who]);
  };
  if (vipAddress) own(vipAddress, 'vip');
  for (const n of topology.nodes) own(n.address, `node ${n.name}`);
  for (const [addr, who] of owners)
    if (who.length > 1) problems.push(`address ${addr} is used by ${who.join(' and ')}: each needs its own`);

  if (problems.length > 0) throw new TopologyInvalidError(source, problems);
  return topology;
}

function parseNodes(value: unknown, problems: string[]): TopologyNode[] {
  if (value === undefined) {
    problems.push('nodes is missing (a list of { name, address, role })');
    return [];
  }
  if (!Array.isArray(value) || value.length === 0) {
    problems.push('nodes must be a non-empty list of { name, address, role }');
    return [];
  }
  return value.map((item, i): TopologyNode => {
    const where = `nodes[${i}]`;
    if (!isObj(item)) {
      problems.push(`${where} must be a mapping { name, address, role }`);
      return { name: '', address: '', role: 'standby' };
    }
    const name = typeof item.name === 'string' && /^[a-z][a-z0-9_]{0,40}$/.test(item.name) ? item.name : '';
    if (!name)
      problems.push(
        `${where}.name must be lower case letters, digits or _ (it names the slot <name>_slot), got ${JSON.stringify(item.name ?? null)}`,
      );
    const label = name ? `node ${name}` : where;
    unknownKeys(item, 'node', label, problems);
    const role = item.role === 'primary' || item.role === 'standby' ? (item.role as NodeRole) : undefined;
    if (!role) problems.push(`${label}: role must be primary or standby, got ${JSON.stringify(item.role ?? null)}`);
    const caFile = item.caFile === undefined ? undefined : absolutePath(item.caFile, `${label} caFile`, '', problems);
    return {
      name,
      address: address(item.address, `${label} address`, problems) ?? '',
      role: role ?? 'standby',
      ...(caFile ? { caFile } : {}),
    };
  });
}

/** `database.tls`: TLS between the nodes; `tls: {}` takes every default (verify-full, /etc/voipdb/tls/...). */
function parseTls(raw: unknown, problems: string[]): DatabaseTls {
  const value = raw === null ? {} : raw;
  if (!isObj(value)) {
    problems.push('database.tls must be a mapping { sslmode, caFile, certFile, keyFile }');
    return DEFAULTS.tls;
  }
  unknownKeys(value, 'database.tls', 'database.tls', problems);
  return {
    sslmode: oneOf(value.sslmode, 'database.tls.sslmode', ['require', 'verify-ca', 'verify-full'] as const, DEFAULTS.tls.sslmode, problems),
    caFile: absolutePath(value.caFile, 'database.tls.caFile', DEFAULTS.tls.caFile, problems),
    certFile: absolutePath(value.certFile, 'database.tls.certFile', DEFAULTS.tls.certFile, problems),
    keyFile: absolutePath(value.keyFile, 'database.tls.keyFile', DEFAULTS.tls.keyFile, problems),
  };
}

function unknownKeys(obj: Obj, kind: string, label: string, problems: string[]): void {
  const known = KNOWN_KEYS[kind]!;
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.push(`${label ? `${label}: ` : ''}unknown key ${key} (known: ${known.join(', ')})`);
  }
}

function address(value: unknown, what: string, problems: string[]): string | undefined {
  if (typeof value !== 'string' || isIP(value) === 0) {
    problems.push(`${what} must be an IPv4 or IPv6 address such as 172.16.91.101, got ${JSON.stringify(value ?? null)}`);
    return undefined;
  }
  return value;
}

function port(value: unknown, what: string, fallback: number, problems: string[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    problems.push(`${what} must be a port number from 1 to 65535, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function word(value: unknown, what: string, fallback: string, problems: string[]): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || /[\s'"]/.test(value)) {
    problems.push(`${what} must be a non-empty word without spaces or quotes, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function identifier(value: unknown, what: string, fallback: string, problems: string[]): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    problems.push(`${what} must be a lower-case PostgreSQL name (letters, digits, _), got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function absolutePath(value: unknown, what: string, fallback: string, problems: string[]): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\/[^\s'"<>&]*$/.test(value)) {
    problems.push(`${what} must be an absolute path without spaces or quotes, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function urlPath(value: unknown, what: string, fallback: string, problems: string[]): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~/-]*$/.test(value)) {
    problems.push(`${what} must be a URL path such as /freeswitch/cdr, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function oneOf<T extends string>(value: unknown, what: string, allowed: readonly T[], fallback: T, problems: string[]): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    problems.push(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value as T;
}
