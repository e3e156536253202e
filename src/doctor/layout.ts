import type { SlotRow } from './primary-health.js';
import { PLATFORM_SLOT } from './thresholds.js';

/**
 * Which slots `db doctor` expects, learned from the node itself so that the same command reads
 * OK before and after a failover: node 1 primary with node2_slot, or node 2 primary with
 * node1_slot once it was promoted and node 1 rejoined. Slots are named `<node>_slot`.
 */
const NODE_SLOT = /^[a-z][a-z0-9_]*_slot$/;

/** On a primary: the platform slots it has (every one is checked); with none, the platform's node2_slot is missing. */
export function expectedPrimarySlots(slots: SlotRow[]): string[] {
  const present = slots.filter((s) => s.slot_type === 'physical' && NODE_SLOT.test(s.slot_name)).map((s) => s.slot_name);
  return present.length > 0 ? present : [PLATFORM_SLOT];
}

/** On a standby: the slot it is set to stream through, when that is a node's slot; else the platform's node2_slot. */
export function expectedStandbySlot(primarySlotName: string): string {
  return NODE_SLOT.test(primarySlotName) ? primarySlotName : PLATFORM_SLOT;
}
