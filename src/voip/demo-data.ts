/**
 * The demo data set of `db seed` (documented in seeds/README.md). The passwords here are test
 * passwords, published on purpose; the database only ever receives their digest hashes.
 */
export const DEMO_DOMAIN = 'demo.voipdb.test';

export interface DemoExtension {
  extension: string;
  password: string;
  voicemailPin: string;
  displayName: string;
  enabled: boolean;
  tollAllow: string[];
}

export const DEMO_EXTENSIONS: readonly DemoExtension[] = [
  {
    extension: '1001',
    password: 'demo-1001-secret',
    voicemailPin: '1001',
    displayName: 'Alice',
    enabled: true,
    tollAllow: ['local', 'domestic'],
  },
  { extension: '1002', password: 'demo-1002-secret', voicemailPin: '1002', displayName: 'Bob', enabled: true, tollAllow: ['local'] },
  { extension: '1003', password: 'demo-1003-secret', voicemailPin: '1003', displayName: 'Carol', enabled: true, tollAllow: ['local'] },
  // Disabled: present in voip, absent from kamailio.subscriber, so it cannot register.
  { extension: '1099', password: 'demo-1099-secret', voicemailPin: '1099', displayName: 'Former employee', enabled: false, tollAllow: [] },
];

export const DEMO_QUEUE = { name: 'support', strategy: 'longest-idle-agent' } as const;

/** Agents of the demo queue: the extension each one rings, and its tier. */
export const DEMO_AGENTS = [
  { name: 'agent-1002', extension: '1002', level: 1, position: 1 },
  { name: 'agent-1003', extension: '1003', level: 1, position: 2 },
] as const;

/** The two FreeSWITCH nodes behind Kamailio (dispatcher set 1, permissions group 1). */
export const FREESWITCH_NODES = [
  { name: 'freeswitch-node1', address: '172.16.91.101', port: 5080 },
  { name: 'freeswitch-node2', address: '172.16.91.102', port: 5080 },
] as const;
export const DISPATCHER_SET = 1;
export const PERMISSIONS_GROUP = 1;

export const DEMO_GATEWAY = { name: 'demo-carrier', proxy: 'sip.carrier.example.net', context: 'public' } as const;

export const DEMO_INBOUND_NUMBER = '+15550100';

/** `db seed --scale`: every generated extension N gets the password `scale-N`. */
export const SCALE_DOMAIN = 'scale.voipdb.test';
export const SCALE_FIRST_EXTENSION = 200000;
export function scalePassword(extension: string): string {
  return `scale-${extension}`;
}
