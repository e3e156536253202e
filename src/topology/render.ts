import { connectionUri } from '../config/connection.js';
import { UsageError } from '../errors.js';
import { TopologyNodeUnknownError } from './errors.js';
import { renderKeepalived, renderSystemd } from './render-failover.js';
import { header } from './render-header.js';
import { archiveSettings, joinRenderedFiles, renderPgbackrestFiles } from './render-pgbackrest.js';
import { caFileOf, SERVICES, type Service, slotNameFor, type Topology, type TopologyNode } from './types.js';

/**
 * Each service's settings for one node, rendered from the topology instead of edited by sed.
 * Every service reaches its OWN node's PostgreSQL (database.localHost); only FreeSWITCH's HTTP
 * calls go to the VIP, where whichever node is active answers. No secret is ever rendered:
 * passwords appear as a placeholder or as the path of the file that holds them.
 */
export function renderNodeConfig(topology: Topology, nodeName: string, service?: Service): string {
  const node = topology.nodes.find((n) => n.name === nodeName);
  if (!node)
    throw new TopologyNodeUnknownError(
      nodeName,
      topology.nodes.map((n) => n.name),
    );
  if (service !== undefined && !SERVICES.includes(service)) {
    throw new UsageError(`unknown service ${JSON.stringify(service)}`, `use one of: ${SERVICES.join(', ')}`);
  }
  const services = service === undefined ? SERVICES : [service];
  return services.map((s) => RENDERERS[s](topology, node)).join('\n');
}

const RENDERERS: Record<Service, (t: Topology, n: TopologyNode) => string> = {
  kamailio: renderKamailio,
  'voip-admin': renderVoipAdmin,
  freeswitch: renderFreeswitch,
  postgres: renderPostgres,
  pgbackrest: (t, node) => joinRenderedFiles(renderPgbackrestFiles(t, node, header('#', 'pgbackrest', node))),
  keepalived: renderKeepalived,
  systemd: renderSystemd,
};

function renderKamailio(t: Topology, node: TopologyNode): string {
  const url = `postgres://${t.roles.kamailio}:\${KAMAILIO_DB_PASSWORD}@${t.database.localHost}:${t.database.port}/${t.database.name}`;
  return [
    header('#', 'kamailio', node),
    `# Kamailio reads this node's own PostgreSQL${node.role === 'standby' ? ' (a read-only hot standby here: reads work, writes fail until it is promoted)' : ''}.`,
    `# \${KAMAILIO_DB_PASSWORD} is a placeholder: fill it at install time from ${t.secrets.kamailioPasswordFile}.`,
    `#!define DBURL "${url}"`,
    '',
  ].join('\n');
}

function renderVoipAdmin(t: Topology, node: TopologyNode): string {
  return [
    header('#', 'voip-admin', node),
    "# VoIP Admin's database block: its own node's PostgreSQL; the password is read from passwordFile.",
    'database:',
    `  host: ${t.database.localHost}`,
    `  port: ${t.database.port}`,
    `  name: ${t.database.name}`,
    `  user: ${t.roles.voipadmin}`,
    `  passwordFile: ${t.secrets.voipadminPasswordFile}`,
    `  node: ${node.name}`,
    `  expectedRole: ${node.role}`,
    '',
  ].join('\n');
}

function renderFreeswitch(t: Topology, node: TopologyNode): string {
  const base = `${t.vip.httpScheme}://${hostInUrl(t.vip.address)}:${t.vip.httpPort}`;
  return [
    `<!-- ${header('', 'freeswitch', node).trim()} -->`,
    '<!-- The HTTP API answers on the VIP, so FreeSWITCH on either node reaches the active VoIP Admin. -->',
    '<!-- autoload_configs/xml_curl.conf.xml -->',
    '<configuration name="xml_curl.conf" description="directory from VoIP Admin">',
    '  <bindings>',
    '    <binding name="directory">',
    `      <param name="gateway-url" value="${base}${t.freeswitch.directoryPath}" bindings="directory"/>`,
    '    </binding>',
    '  </bindings>',
    '</configuration>',
    '<!-- autoload_configs/xml_cdr.conf.xml -->',
    '<configuration name="xml_cdr.conf" description="CDRs posted to VoIP Admin">',
    '  <settings>',
    `    <param name="url" value="${base}${t.freeswitch.cdrPath}"/>`,
    '    <param name="retries" value="2"/>',
    '    <param name="delay" value="5"/>',
    '    <param name="encode" value="true"/>',
    '  </settings>',
    '</configuration>',
    '',
  ].join('\n');
}

function renderPostgres(t: Topology, node: TopologyNode): string {
  const primary = t.nodes.find((n) => n.role === 'primary')!;
  const tls = t.database.tls;
  const caFile = caFileOf(t, node);
  const lines = [
    header('#', 'postgres', node),
    '# postgresql.conf',
    `listen_addresses = 'localhost,${node.address}'`,
    `port = ${t.database.port}`,
    'wal_level = replica',
    'max_wal_senders = 10',
    'max_replication_slots = 10',
    'hot_standby = on',
    'hot_standby_feedback = on',
    '# pg_rewind needs it to rejoin a failed primary as a standby (`db rejoin`); data checksums also serve',
    'wal_log_hints = on',
    ...archiveSettings(t),
  ];
  if (tls) {
    lines.push(
      `# TLS between the nodes (sslmode=${tls.sslmode}): ${tls.sslmode === 'verify-full' ? `this node's certificate must list its address (subjectAltName IP:${node.address}), ` : ''}signed by the CA in ${caFile} on the other node`,
      'ssl = on',
      `ssl_cert_file = '${tls.certFile}'`,
      `ssl_key_file = '${tls.keyFile}'`,
    );
  }
  if (node.role === 'standby') {
    // The password is not here: libpq reads it from the passfile (0600, owned by postgres).
    const settings = [
      `host=${primary.address}`,
      `port=${t.database.port}`,
      `user=${t.roles.replicator}`,
      `passfile=${t.secrets.replicatorPassfile}`,
      `application_name=${node.name}`,
      ...(tls ? [`sslmode=${tls.sslmode}`, `sslrootcert=${caFile}`] : []),
    ];
    lines.push(
      `# standby of ${primary.name}: also create an empty standby.signal in the data directory`,
      `primary_conninfo = '${settings.join(' ')}'`,
      `primary_slot_name = '${slotNameFor(node)}'`,
    );
  } else {
    const standbys = t.nodes.filter((n) => n.role === 'standby');
    lines.push(
      `# primary: create the slot of each standby once: ${standbys.map((s) => `SELECT pg_create_physical_replication_slot('${slotNameFor(s)}', true);`).join(' ') || '(no standby in the topology)'}`,
    );
  }
  // hostssl refuses replication without TLS once the topology asks for it.
  const hostType = tls ? 'hostssl' : 'host';
  lines.push(
    '',
    '# pg_hba.conf: replication from both nodes (the same on each, so a failover needs no edit)',
    ...t.nodes.map((n) => `${hostType}  replication  ${t.roles.replicator}  ${hbaAddress(n.address)}  scram-sha-256`),
    '# the services on this node reach their own database over loopback',
    `host  ${t.database.name}  ${t.roles.kamailio},${t.roles.voipadmin}  127.0.0.1/32  scram-sha-256`,
    '',
    '# the voipdb CLI on this node (deploy scripts): every node listed, the primary chosen when connecting, so a failover needs no edit;',
    `# the user comes from PGUSER (or the OS user), the password from ~/.pgpass; pg_hba.conf on every node then needs, for that user:`,
    `#   ${hostType}  ${t.database.name}  <user>  <address of each node>  scram-sha-256`,
    `# db migrate --url '${primaryUrl(t, caFile)}'`,
    '',
  );
  return lines.join('\n');
}

/** The URL that reaches whichever node is primary, with this node's TLS settings: what `db migrate` uses. */
export function primaryUrl(t: Topology, caFile: string | undefined): string {
  const params: [string, string][] = [['target_session_attrs', 'primary']];
  if (t.database.tls) params.push(['sslmode', t.database.tls.sslmode], ['sslrootcert', caFile!]);
  return connectionUri({
    hosts: t.nodes.map((n) => ({ host: n.address, port: t.database.port })),
    database: t.database.name,
    params,
  });
}

function hbaAddress(address: string): string {
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

function hostInUrl(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
