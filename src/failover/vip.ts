import os from 'node:os';

/**
 * Whether an address is configured on one of this host's interfaces: how the watch sees that
 * Keepalived gave this node the VIP, the moment it does, with no process started and without
 * waiting for Keepalived's notify script (a Node start that a loaded node can delay by seconds).
 */
export function addressConfigured(address: string): boolean {
  return Object.values(os.networkInterfaces()).some((list) => list?.some((entry) => entry.address === address));
}
