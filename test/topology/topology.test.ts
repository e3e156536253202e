import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerConfigRender } from '../../src/cli/commands/config-render.js';
import { resolveConnection } from '../../src/config/connection.js';
import { TopologyNodeUnknownError } from '../../src/topology/errors.js';
import { parseTopology, renderNodeConfig, SERVICES } from '../../src/topology/index.js';
import { runCli } from '../support/cli.js';
import { runInProcess } from '../support/in-process-cli.js';
import { MINIMAL, problemsOf } from './topology-text.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(REPO, 'examples/topology.yaml');
const GOLDEN = path.join(import.meta.dirname, 'golden');

describe('parseTopology', () => {
  it('reads the example: VIP, node1 primary, node2 standby, defaults filled in', async () => {
    const t = parseTopology(await fs.readFile(EXAMPLE, 'utf8'));
    expect(t.vip.address).toBe('172.16.91.100');
    expect(t.nodes).toEqual([
      { name: 'node1', address: '172.16.91.101', role: 'primary' },
      { name: 'node2', address: '172.16.91.102', role: 'standby' },
    ]);
    // The example spells out the defaults, plus TLS between the nodes (database.tls: {} gives the same)
    // the failover block (test/topology/failover.test.ts) and WAL archiving with pgBackRest (backup: {} gives the same).
    const { failover, ...rest } = t;
    expect(failover?.mode).toBe('automatic');
    expect(parseTopology(MINIMAL.replace('nodes:', 'database: { tls: {} }\nbackup: {}\nnodes:'))).toEqual(rest);
  });

  it('refuses two primaries', () => {
    expect(problemsOf(MINIMAL.replace('role: standby', 'role: primary'))).toEqual([
      'nodes: 2 nodes have role primary (node1, node2): exactly one may',
    ]);
  });

  it('refuses a topology without a primary', () => {
    expect(problemsOf(MINIMAL.replace('role: primary', 'role: standby'))).toEqual(['nodes: no node has role primary: exactly one must']);
  });

  it('refuses malformed addresses, naming the path', () => {
    expect(problemsOf(MINIMAL.replace('172.16.91.102', '172.16.91.300'))).toEqual([
      'nodes[1].address must be an IPv4 or IPv6 address such as 172.16.91.101, got "172.16.91.300"',
    ]);
    expect(problemsOf(MINIMAL.replace('address: 172.16.91.100', 'address: vip.example'))[0]).toContain(
      'vip.address must be an IPv4 or IPv6 address',
    );
  });

  it('refuses duplicate addresses, also between the VIP and a node', () => {
    expect(problemsOf(MINIMAL.replace('172.16.91.102', '172.16.91.101'))).toEqual([
      'address 172.16.91.101 is used by node node1 and node node2: each needs its own',
    ]);
    expect(problemsOf(MINIMAL.replace('172.16.91.102', '172.16.91.100'))).toEqual([
      'address 172.16.91.100 is used by vip and node node2: each needs its own',
    ]);
  });

  it('lists every problem at once: bad role, bad name, duplicate name, unknown keys, bad port', () => {
    const problems = problemsOf(`
vip: { address: 172.16.91.100, httpPort: 70000 }
databse: { name: voipdb }
nodes:
  - { name: node1, address: 172.16.91.101, role: master }
  - { name: Node-2, address: 172.16.91.102, role: standby, zone: a }
  - { name: node1, address: 172.16.91.103, role: standby }
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'unknown key databse (known: vip, database, roles, secrets, freeswitch, nodes, failover, backup)',
        'vip.httpPort must be a port number from 1 to 65535, got 70000',
        'nodes[0].role must be primary or standby, got "master"',
        'nodes[1].name must be lower case letters, digits or _ (it names the slot <name>_slot), got "Node-2"',
        'nodes[1]: unknown key zone (known: name, address, role, caFile)',
        'nodes: node name node1 is used 2 times',
        'nodes: no node has role primary: exactly one must',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('reports YAML syntax errors with their line', () => {
    const [problem] = problemsOf('vip:\n  address: [172.16.91.100\nnodes: []\n');
    expect(problem).toMatch(/^YAML: .* at line 3, column 1$/);
  });

  it('names wrong types and missing values by their path, and every unknown key', () => {
    expect(
      problemsOf(`
vip: { address: 172.16.91.100, httpScheme: ftp }
database: { port: "5432", name: Voip, extra: 1 }
roles: []
secrets: { kamailioPasswordFile: relative/path }
nodes:
  - { address: 172.16.91.101, role: primary }
  - 7
`),
    ).toEqual([
      'vip.httpScheme must be one of http, https, got "ftp"',
      'database.name must be a lower-case PostgreSQL name (letters, digits, _), got "Voip"',
      'database.port must be a port number from 1 to 65535, got "5432"',
      'database: unknown key extra (known: name, port, localHost, tls)',
      'roles must be a mapping, got []',
      'secrets.kamailioPasswordFile must be an absolute path without spaces, quotes or shell characters, got "relative/path"',
      'nodes[0].name is missing (name: node1)',
      'nodes[1] must be a mapping { name, address, role }, got 7',
    ]);
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const levels = ['x: &l0 [a, a, a, a, a, a, a, a, a, a]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `x${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    expect(problemsOf(`${levels.join('\n')}\n${MINIMAL}`)).toEqual([
      'YAML: more than 50 alias expansions (&anchor / *alias); write the values out',
    ]);
  });

  it('refuses a missing vip and nodes', () => {
    expect(problemsOf('{}')).toEqual([
      'vip is missing (vip: { address: 172.16.91.100 })',
      'nodes is missing (a list of { name, address, role })',
    ]);
  });
});

describe('renderNodeConfig against golden files', () => {
  const topology = async () => parseTopology(await fs.readFile(EXAMPLE, 'utf8'));

  for (const node of ['node1', 'node2']) {
    for (const service of [...SERVICES, undefined]) {
      it(`${node} ${service ?? '(all services)'}`, async () => {
        const golden = await fs.readFile(path.join(GOLDEN, `${node}.${service ?? 'all'}.txt`), 'utf8');
        expect(renderNodeConfig(await topology(), node, service)).toBe(golden);
      });
    }
  }

  it("points Kamailio and VoIP Admin at the node's own database and FreeSWITCH at the VIP", async () => {
    const t = await topology();
    for (const node of ['node1', 'node2']) {
      expect(renderNodeConfig(t, node, 'kamailio')).toContain(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the rendered file names a shell variable
        '#!define DBURL "postgres://kamailio:${KAMAILIO_DB_PASSWORD}@127.0.0.1:5432/voipdb"',
      );
      expect(renderNodeConfig(t, node, 'voip-admin')).toMatch(/host: 127\.0\.0\.1\n {2}port: 5432\n {2}name: voipdb\n {2}user: voipadmin/);
      const fsConf = renderNodeConfig(t, node, 'freeswitch');
      expect(fsConf).toContain('value="http://172.16.91.100:8080/freeswitch/directory"');
      expect(fsConf).toContain('value="http://172.16.91.100:8080/freeswitch/cdr"');
    }
  });

  it('gives only the standby primary_conninfo and primary_slot_name; pg_hba on both lists both nodes', async () => {
    const t = await topology();
    const node2 = renderNodeConfig(t, 'node2', 'postgres');
    expect(node2).toContain(
      "primary_conninfo = 'host=172.16.91.101 port=5432 user=replicator passfile=/etc/voipdb/secrets/replicator.pgpass application_name=node2 sslmode=verify-full sslrootcert=/etc/voipdb/tls/root.crt'",
    );
    expect(node2).toContain("primary_slot_name = 'node2_slot'");
    const node1 = renderNodeConfig(t, 'node1', 'postgres');
    expect(node1).not.toContain('primary_conninfo');
    for (const text of [node1, node2]) {
      expect(text).toContain('hostssl  replication  replicator  172.16.91.101/32  scram-sha-256');
      expect(text).toContain('hostssl  replication  replicator  172.16.91.102/32  scram-sha-256');
      expect(text).toContain("ssl = on\nssl_cert_file = '/etc/voipdb/tls/server.crt'\nssl_key_file = '/etc/voipdb/tls/server.key'");
    }
  });

  it('without database.tls: no TLS settings, plain host lines, no sslmode in the URLs', () => {
    const t = parseTopology(MINIMAL);
    const node2 = renderNodeConfig(t, 'node2', 'postgres');
    expect(node2).toContain(
      "primary_conninfo = 'host=172.16.91.101 port=5432 user=replicator passfile=/etc/voipdb/secrets/replicator.pgpass application_name=node2'",
    );
    expect(node2).not.toMatch(/ssl/);
    expect(node2).toContain("# db migrate --url 'postgres://172.16.91.101:5432,172.16.91.102:5432/voipdb?target_session_attrs=primary'");
  });

  it('a node may name its own CA file; the rendered URL and primary_conninfo mean to the CLI what they mean to libpq', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-topology-ca-'));
    const ca1 = path.join(dir, 'node1-root.crt');
    const ca2 = path.join(dir, 'node2-root.crt');
    await fs.writeFile(ca1, 'ca');
    await fs.writeFile(ca2, 'ca');
    const t = parseTopology(`
vip: { address: 172.16.91.100 }
database: { tls: { caFile: ${ca1} } }
nodes:
  - { name: node1, address: 172.16.91.101, role: primary }
  - { name: node2, address: 172.16.91.102, role: standby, caFile: ${ca2} }
`);
    expect(t.database.tls).toEqual({
      sslmode: 'verify-full',
      caFile: ca1,
      certFile: '/etc/voipdb/tls/server.crt',
      keyFile: '/etc/voipdb/tls/server.key',
    });
    const node2 = renderNodeConfig(t, 'node2', 'postgres');
    const conninfo = /primary_conninfo = '([^']*)'/.exec(node2)![1]!;
    const url = /# db migrate --url '([^']*)'/.exec(node2)![1]!;
    const env = { HOME: dir, PGPASSFILE: '' };
    const { config: replication, problems: replicationProblems } = resolveConnection({ url: conninfo, env });
    const { config: migrate, problems } = resolveConnection({ url, env });
    expect([...replicationProblems, ...problems]).toEqual([]);
    expect(replication).toMatchObject({
      host: '172.16.91.101',
      port: 5432,
      user: 'replicator',
      sslmode: 'verify-full',
      tls: { rootCert: ca2 },
    });
    expect(replication?.passfile).toBe('/etc/voipdb/secrets/replicator.pgpass');
    expect(migrate).toMatchObject({
      hosts: [
        { host: '172.16.91.101', port: 5432 },
        { host: '172.16.91.102', port: 5432 },
      ],
      database: 'voipdb',
      targetSessionAttrs: 'primary',
      sslmode: 'verify-full',
      tls: { rootCert: ca2 },
    });
    expect(renderNodeConfig(t, 'node1', 'postgres')).toContain(`sslrootcert=${ca1}'`);
  });

  it('refuses unknown TLS keys, a weak sslmode and relative paths', () => {
    expect(problemsOf(`${MINIMAL}database: { tls: { sslmode: prefer, caFile: root.crt, crl: x } }\n`)).toEqual([
      'database.tls.sslmode must be one of require, verify-ca, verify-full, got "prefer"',
      'database.tls.caFile must be an absolute path without spaces, quotes or shell characters, got "root.crt"',
      'database.tls: unknown key crl (known: sslmode, caFile, certFile, keyFile)',
    ]);
  });

  it('renders no secret: passwords are placeholders or file references', async () => {
    const t = await topology();
    for (const node of ['node1', 'node2']) {
      const all = renderNodeConfig(t, node);
      expect(all).not.toMatch(/password\s*=/i);
      expect(all).not.toMatch(/postgres:\/\/[^:\s]+:(?!\$\{KAMAILIO_DB_PASSWORD\})[^@\s]*@/);
      expect(all).toContain('passwordFile: /etc/voipdb/secrets/voipadmin.password');
    }
  });

  it('names the known nodes when asked for an unknown one', async () => {
    const t = await topology();
    expect(() => renderNodeConfig(t, 'node3')).toThrow(TopologyNodeUnknownError);
    expect(() => renderNodeConfig(t, 'node3')).toThrow(/no node "node3"/);
  });
});

/** `db config render` through its commander command, as main.ts runs it. */
async function render(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const r = await runInProcess(registerConfigRender, ['config', 'render', ...args], { env, cwd: REPO });
  // commander's own refusals are usage errors: exit 2, as main.ts maps them.
  return { code: r.code === -1 ? 2 : r.code, out: r.out.join('\n'), err: r.err.join('\n') };
}

describe('db config render', () => {
  it("prints the node's settings from --topology", async () => {
    const r = await render(['--node', 'node2', '--service', 'postgres', '--topology', 'examples/topology.yaml']);
    expect(r.code).toBe(0);
    expect(`${r.out}\n`).toBe(await fs.readFile(path.join(GOLDEN, 'node2.postgres.txt'), 'utf8'));
  });

  it('reads VOIPDB_TOPOLOGY when --topology is absent', async () => {
    const r = await render(['--node', 'node1'], { VOIPDB_TOPOLOGY: EXAMPLE });
    expect(r.code).toBe(0);
    expect(`${r.out}\n`).toBe(await fs.readFile(path.join(GOLDEN, 'node1.all.txt'), 'utf8'));
  });

  it('exits 2 naming every problem of a bad topology', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-topology-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      await fs.writeFile(file, MINIMAL.replace('role: standby', 'role: primary').replace('172.16.91.102', '172.16.91.1O2'));
      const r = await render(['--node', 'node1', '--topology', file]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('error[TOPOLOGY_INVALID]');
      expect(r.err).toContain('- nodes[1].address must be an IPv4 or IPv6 address such as 172.16.91.101, got "172.16.91.1O2"');
      expect(r.err).toContain('- nodes: 2 nodes have role primary (node1, node2): exactly one may');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 for an unknown node, a missing file, and an unknown service', async () => {
    const unknown = await render(['--node', 'node9', '--topology', EXAMPLE]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('error[TOPOLOGY_NODE_UNKNOWN]');
    expect(unknown.err).toContain('use one of: node1, node2');
    const missing = await render(['--node', 'node1', '--topology', '/nonexistent/topology.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('file not found');
    const service = await render(['--node', 'node1', '--service', 'asterisk', '--topology', EXAMPLE]);
    expect(service.code).toBe(2);
    expect(service.err).toMatch(/asterisk.*is invalid/);
  });

  it('works through the built `db` command: node2 from the example topology, and exit 2 for node3', async () => {
    const ok = await runCli(['config', 'render', '--node', 'node2', '--topology', 'examples/topology.yaml']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(await fs.readFile(path.join(GOLDEN, 'node2.all.txt'), 'utf8'));
    const bad = await runCli(['config', 'render', '--node', 'node3', '--topology', 'examples/topology.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error[TOPOLOGY_NODE_UNKNOWN]');
  });
});
