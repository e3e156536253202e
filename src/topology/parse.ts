import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { TopologyInvalidError } from './errors.js';
import { failoverSchema } from './failover.js';
import { backupProblems, backupSchema } from './backup-schema.js';
import { absolutePath, address, identifier, mapping, port, says, text, urlPath } from './schema-fields.js';
import type { Topology } from './types.js';

/**
 * Aliases a topology file may use. It needs none; a few are harmless, but `yaml` expands every
 * alias into the tree, so a "billion laughs" file of nested aliases would take the whole
 * memory: past this count the file is refused as invalid (the library's own guard).
 */
const MAX_YAML_ALIASES = 50;

const node = z.strictObject(
  {
    // It names the replication slot <name>_slot.
    name: text(/^[a-z][a-z0-9_]{0,40}$/, 'must be lower case letters, digits or _ (it names the slot <name>_slot)', 'name: node1'),
    address: address('address: 172.16.91.101'),
    role: z.enum(['primary', 'standby'], says('must be primary or standby', 'role: primary or role: standby')),
    // This node's copy of the CA (overrides database.tls.caFile).
    caFile: absolutePath.optional(),
  },
  { error: 'must be a mapping { name, address, role }' },
);

/** The topology file's shape and defaults; cross-field rules (one primary, distinct names and addresses) follow it. */
const topologySchema = z.strictObject({
  vip: z.strictObject(
    {
      address: address('address: 172.16.91.100'),
      httpPort: port.default(8080),
      httpScheme: z.enum(['http', 'https'], { error: 'must be one of http, https' }).default('http'),
    },
    says('must be a mapping', 'vip: { address: 172.16.91.100 }'),
  ),
  database: z
    .strictObject(
      {
        name: identifier.default('voipdb'),
        port: port.default(5432),
        localHost: text(/^[^\s'"]+$/, 'must be a non-empty word without spaces or quotes').default('127.0.0.1'),
        // Absent: connections between the nodes are not encrypted; `tls: {}` takes every default.
        tls: z
          .strictObject(
            {
              sslmode: z
                .enum(['require', 'verify-ca', 'verify-full'], { error: 'must be one of require, verify-ca, verify-full' })
                .default('verify-full'),
              caFile: absolutePath.default('/etc/voipdb/tls/root.crt'),
              certFile: absolutePath.default('/etc/voipdb/tls/server.crt'),
              keyFile: absolutePath.default('/etc/voipdb/tls/server.key'),
            },
            mapping,
          )
          .optional(),
      },
      mapping,
    )
    .prefault({}),
  roles: z
    .strictObject(
      {
        kamailio: identifier.default('kamailio'),
        voipadmin: identifier.default('voipadmin'),
        replicator: identifier.default('replicator'),
      },
      mapping,
    )
    .prefault({}),
  secrets: z
    .strictObject(
      {
        kamailioPasswordFile: absolutePath.default('/etc/voipdb/secrets/kamailio.password'),
        voipadminPasswordFile: absolutePath.default('/etc/voipdb/secrets/voipadmin.password'),
        replicatorPassfile: absolutePath.default('/etc/voipdb/secrets/replicator.pgpass'),
      },
      mapping,
    )
    .prefault({}),
  freeswitch: z
    .strictObject(
      {
        directoryPath: urlPath.default('/freeswitch/directory'),
        cdrPath: urlPath.default('/freeswitch/cdr'),
      },
      mapping,
    )
    .prefault({}),
  nodes: z
    .array(node, says('must be a non-empty list of { name, address, role }', 'a list of { name, address, role }'))
    .min(1, { error: 'must be a non-empty list of { name, address, role }' }),
  // Keepalived, the watch and the boot guard (src/topology/failover.ts); absent: manual mode.
  failover: failoverSchema.optional(),
  backup: backupSchema,
});

/**
 * Parses and validates a topology (YAML). Collects every problem, each with its path: unknown
 * keys, wrong values, a missing or second primary, duplicate names and addresses; throws them
 * together as one TopologyInvalidError, so a bad file is fixed in one round.
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
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    // yaml's resource-exhaustion guard (ReferenceError); anything else is ours.
    if (!(error instanceof ReferenceError)) throw error;
    throw new TopologyInvalidError(source, [
      `YAML: more than ${MAX_YAML_ALIASES} alias expansions (&anchor / *alias); write the values out`,
    ]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TopologyInvalidError(source, ['the file must be a YAML mapping with `vip` and `nodes`']);
  }
  const parsed = topologySchema.safeParse(raw, { reportInput: true });
  const problems = parsed.success ? [] : parsed.error.issues.map(describeIssue);
  problems.push(...crossFieldProblems(raw as Record<string, unknown>), ...backupProblems(raw as Record<string, unknown>));
  if (!parsed.success || problems.length > 0) throw new TopologyInvalidError(source, problems);
  return parsed.data;
}

/** `nodes[1].name must be …, got "Node-2"`: the path as a reader would write it, then the value. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  if (issue.code === 'unrecognized_keys') {
    return `${where ? `${where}: ` : ''}unknown key ${issue.keys.join(', ')} (known: ${knownKeys(issue.path).join(', ')})`;
  }
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined || issue.message.startsWith('is missing') ? '' : `, got ${JSON.stringify(input)}`;
  return `${where} ${issue.message}${got}`;
}

function knownKeys(path: readonly PropertyKey[]): string[] {
  type Def = { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
  // Through defaults to the array or mapping beneath.
  const unwrap = (schema: z.ZodType): Def => {
    let def = (schema as unknown as { def: Def }).def;
    while (def.innerType) def = (def.innerType as unknown as { def: Def }).def;
    return def;
  };
  let def = unwrap(topologySchema);
  for (const step of path) def = unwrap((typeof step === 'number' ? def.element : def.shape?.[step as string]) as z.ZodType);
  return Object.keys(def.shape ?? {});
}

/** Rules across nodes, checked on whatever of them is readable, so they are reported with the rest. */
function crossFieldProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const nodes = (Array.isArray(raw.nodes) ? raw.nodes : []).map((n) =>
    typeof n === 'object' && n !== null ? (n as Record<string, unknown>) : {},
  );
  const primaries = nodes.filter((n) => n.role === 'primary');
  if (nodes.length > 0 && primaries.length === 0) problems.push('nodes: no node has role primary: exactly one must');
  if (primaries.length > 1)
    problems.push(
      `nodes: ${primaries.length} nodes have role primary (${primaries.map((n) => String(n.name)).join(', ')}): exactly one may`,
    );

  const seenNames = new Map<string, number>();
  for (const n of nodes) if (typeof n.name === 'string') seenNames.set(n.name, (seenNames.get(n.name) ?? 0) + 1);
  for (const [name, count] of seenNames) if (count > 1) problems.push(`nodes: node name ${name} is used ${count} times`);

  const owners = new Map<string, string[]>();
  const own = (addr: unknown, who: string): void => {
    if (typeof addr === 'string' && isIP(addr) !== 0) owners.set(addr, [...(owners.get(addr) ?? []), who]);
  };
  const vip = raw.vip;
  if (typeof vip === 'object' && vip !== null) own((vip as Record<string, unknown>).address, 'vip');
  for (const [i, n] of nodes.entries()) own(n.address, typeof n.name === 'string' ? `node ${n.name}` : `nodes[${i}]`);
  for (const [addr, who] of owners)
    if (who.length > 1) problems.push(`address ${addr} is used by ${who.join(' and ')}: each needs its own`);
  problems.push(...failoverNodeProblems(raw.failover, nodes));
  return problems;
}

/** failover.nodes is keyed by node name: a key that names no node is a typo. */
function failoverNodeProblems(failover: unknown, nodes: Record<string, unknown>[]): string[] {
  if (typeof failover !== 'object' || failover === null) return [];
  const perNode = (failover as Record<string, unknown>).nodes;
  if (typeof perNode !== 'object' || perNode === null) return [];
  const names = nodes.map((n) => n.name).filter((n): n is string => typeof n === 'string');
  return Object.keys(perNode)
    .filter((key) => !names.includes(key))
    .map((key) => `failover.nodes: ${key} is not a node of the topology (nodes: ${names.join(', ')})`);
}
