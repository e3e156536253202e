import { failoverNode, resolveFailover, staleAfterMs } from './failover.js';
import { header } from './render-header.js';
import type { Topology, TopologyNode } from './types.js';
import { verdictFile, verdictShellTest } from './verdict-check.js';

/**
 * Keepalived and systemd for one node: the VIP engine and the service-manager half of the
 * failover (the boot guard, the restart a fence relies on, the watch). Every script they run is
 * a `db failover` verb, so the decisions live in voipdb and are tested there.
 */

function dbCommand(t: Topology, node: TopologyNode, verb: string): string {
  const f = resolveFailover(t.failover);
  return `${f.command} failover ${verb} --topology ${f.topologyFile} --node ${node.name}`;
}

/** VRRP counts whole seconds (version 2) or centiseconds (version 3): 1000 → "1", 250 → "0.25". */
function seconds(ms: number): string {
  return String(ms / 1000);
}

export function renderKeepalived(t: Topology, node: TopologyNode): string {
  const f = resolveFailover(t.failover);
  const own = failoverNode(f, node);
  const peers = t.nodes.filter((n) => n.name !== node.name);
  const v3 = f.advertIntervalMs % 1000 !== 0;
  const detectMs = 3 * f.advertIntervalMs + Math.round(((256 - own.priority) / 256) * f.advertIntervalMs);
  const script = (name: string, check: 'database' | 'witness', why: string[]) => [
    ...why.map((w) => `# ${w}`),
    `vrrp_script ${name} {`,
    `  # the verdict \`db failover watch\` writes every ${f.probeIntervalMs} ms, valid ${staleAfterMs(f.probeIntervalMs)} ms; \`db failover health\` explains it`,
    '  # (a shell test with builtins only: a Node start per check misses the timeout on a loaded node)',
    `  script "/bin/sh -c '${verdictShellTest(verdictFile(f.stateDir, node.name, check))}'"`,
    '  interval 1',
    '  timeout 1',
    '  # one failure gives the VIP up (FAULT), one success takes the node back to BACKUP',
    '  fall 1',
    '  rise 1',
    '}',
    '',
  ];
  return [
    header('#', 'keepalived', node),
    `# /etc/keepalived/keepalived.conf. Failover mode: ${f.mode}${f.mode === 'manual' ? ' (the VIP moves; nobody promotes: run `db promote` yourself)' : ' (the node that takes the VIP promotes its standby after the checks of `db promote`)'}.`,
    `# Timing: advert_int ${seconds(f.advertIntervalMs)} s; the other node declares this one gone after 3 x advert_int + skew`,
    `# ((256 - priority) / 256 x advert_int): about ${detectMs} ms at priority ${own.priority}. A standby that takes the VIP`,
    `# promotes only ${f.promoteAfterMs} ms after its last contact with the primary (promoteAfterMs), and a primary that`,
    `# reached neither peer nor witness for ${f.leaseMs} ms (leaseMs) has fenced itself before that (README: the timing rule).`,
    'global_defs {',
    `  router_id voipdb_${node.name}`,
    '  # the scripts read the state files of `db failover watch` and reach PostgreSQL as its OS user',
    '  script_user postgres',
    '  enable_script_security',
    '}',
    '',
    ...script('voipdb_database', 'database', [
      'Health: this node may hold the VIP only while its database is, or can become, writable:',
      'the watch is alive, PostgreSQL answers, and it is a primary that is not fenced or a standby whose promotion',
      'was not refused. In manual mode: PostgreSQL answers.',
    ]),
    ...script('voipdb_witness', 'witness', [
      `Tie-breaker: the witness ${f.witness ?? '(the default gateway)'} answered the watch's ICMP echo within the last ${f.leaseMs} ms.`,
      'A node cut off from the network gives the VIP up instead of taking it.',
    ]),
    'vrrp_instance voipdb_vip {',
    '  # both nodes start BACKUP with nopreempt: the VIP stays where it is when the other node comes back',
    '  state BACKUP',
    '  nopreempt',
    ...(v3 ? ['  # advert_int below a second or not whole seconds needs VRRP version 3', '  version 3'] : []),
    `  interface ${own.interface}`,
    `  virtual_router_id ${f.virtualRouterId}`,
    `  priority ${own.priority}`,
    `  advert_int ${seconds(f.advertIntervalMs)}`,
    '  # unicast: no multicast needed between the nodes',
    `  unicast_src_ip ${node.address}`,
    '  unicast_peer {',
    ...peers.map((p) => `    ${p.address}`),
    '  }',
    '  virtual_ipaddress {',
    `    ${t.vip.address} dev ${own.interface}`,
    '  }',
    '  track_script {',
    '    voipdb_database',
    '    voipdb_witness',
    '  }',
    '  # each transition runs `db failover notify`, which records and logs it; the watch sees the VIP arrive itself',
    '  # and promotes a standby that holds it, after the checks of `db promote` (automatic mode)',
    ...(['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const).map(
      (state) => `  notify_${state.toLowerCase()} "${dbCommand(t, node, 'notify')} ${state}"`,
    ),
    '}',
    '',
  ].join('\n');
}

export function renderSystemd(t: Topology, node: TopologyNode): string {
  const f = resolveFailover(t.failover);
  const own = failoverNode(f, node);
  const runtime = f.stateDir.startsWith('/run/') ? f.stateDir.slice('/run/'.length) : undefined;
  return [
    header('#', 'systemd', node),
    `# Two files: a drop-in for Debian's postgresql@.service (every cluster of the node) and the watch's unit.`,
    `# Then: systemctl daemon-reload; systemctl enable --now voipdb-failover-watch.service`,
    '',
    '# ---- /etc/systemd/system/postgresql@.service.d/voipdb-failover.conf',
    '[Unit]',
    '# the guard asks the other node before PostgreSQL starts: the network must be up',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `# Before PostgreSQL starts (data directory ${own.dataDir ?? `from failover.nodes.${node.name}.dataDir`}): starts it as the primary only when the other`,
    '# node is a standby on the same or an older timeline; starts it fenced (standby.signal: read-only) when the',
    '# other node cannot be asked; refuses (exit 5, the unit fails) when the other node is a primary: run `db rejoin`.',
    '# It waits at most 5 s for the other node.',
    `ExecStartPre=${dbCommand(t, node, 'guard')}`,
    '# A fence (or unfence) ends the postmaster with a fast shutdown; systemd starts it again after RestartSec,',
    '# and the guard above decides how. `systemctl stop` is not restarted.',
    'Restart=always',
    'RestartSec=1s',
    '',
    '# ---- /etc/systemd/system/voipdb-failover-watch.service',
    '[Unit]',
    `Description=voipdb failover watch on ${node.name}: probes the peer and the witness, keeps the lease, fences and unfences`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    'User=postgres',
    `ExecStart=${dbCommand(t, node, 'watch')}`,
    "# Keepalived's health check fails once the state file is 2 s old: systemd restarts the watch before that",
    'Restart=always',
    'RestartSec=500ms',
    ...(runtime
      ? [`RuntimeDirectory=${runtime}`, '# keep the state (last contacts) across a restart of the watch', 'RuntimeDirectoryPreserve=yes']
      : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
