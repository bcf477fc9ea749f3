/**
 * What trackers say to each other through the channel layer. Every tracker
 * is a node named by its own channel (from `newChannel('presence')`), which
 * is also where peers send it direct replies. Deltas and heartbeats carry the
 * sender's sequence number so a receiver notices a missed delta (delivery is
 * at-most-once) and asks for the full state.
 */
import type { PresenceEntry, PresenceMeta } from './presence-state';

/** A new node (or one that reconnected) asks every peer for its state. */
export const HELLO = 'presence.hello';
/** Periodic liveness, with the sender's latest sequence number. */
export const HEARTBEAT = 'presence.heartbeat';
/** Joins and leaves since the previous delta, in order. */
export const DELTA = 'presence.delta';
/** One node's full state, sent directly to whoever asked. */
export const STATE = 'presence.state';
/** A direct request for a node's full state. */
export const SYNC = 'presence.sync';
/** A node is closing: drop its entries now. */
export const BYE = 'presence.bye';

/** A delta operation: a join `['j', group, member, connection, meta, at]` or a leave `['l', group, member, connection]`. */
export type PresenceOp =
  | [op: 'j', group: string, member: string, connection: string, meta: PresenceMeta, at: number]
  | [op: 'l', group: string, member: string, connection: string];

/** Any tracker message, as received. */
export interface PresenceWireMessage {
  type: string;
  node: string;
  seq?: number;
  ops?: PresenceOp[];
  entries?: PresenceEntry[];
  [key: string]: unknown;
}

/** True for a message a tracker can act on (peers may run other versions: be strict). */
export function isPresenceMessage(message: { type: string; [key: string]: unknown }): message is PresenceWireMessage {
  return typeof message.node === 'string' && message.type.startsWith('presence.');
}

/** True for a well-formed wire entry. */
export function isEntry(value: unknown): value is PresenceEntry {
  return (
    Array.isArray(value) &&
    value.length === 5 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'string' &&
    typeof value[2] === 'string' &&
    typeof value[3] === 'object' &&
    value[3] !== null &&
    typeof value[4] === 'number'
  );
}

/** True for a well-formed delta operation. */
export function isOp(value: unknown): value is PresenceOp {
  if (!Array.isArray(value) || typeof value[1] !== 'string' || typeof value[2] !== 'string' || typeof value[3] !== 'string') {
    return false;
  }
  if (value[0] === 'l') return value.length === 4;
  return value[0] === 'j' && value.length === 6 && typeof value[4] === 'object' && value[4] !== null && typeof value[5] === 'number';
}
