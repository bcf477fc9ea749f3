/**
 * What the Phoenix model sends through the channel layer. A topic's
 * subscribers are the members of its group (topic-group.ts); each message
 * names its topic again so a receiver checks it.
 */
import type { MessageValue } from '../layers/channel-layer';

/** A broadcast to every subscriber of `topic` (to every socket whose id is `topic`, for `disconnect`). */
export const BROADCAST = 'phx.broadcast';
/** A message for one joined channel (its `handleInfo`), sent to the socket's layer channel. */
export const INFO = 'phx.info';

/** The layer form of a broadcast. `from` is the sending socket's layer channel, skipped by `broadcastFrom`. */
export interface BroadcastMessage {
  type: typeof BROADCAST;
  topic: string;
  event: string;
  payload: MessageValue;
  from?: string;
}

/** The layer form of a message for `handleInfo`. */
export interface InfoMessage {
  type: typeof INFO;
  topic: string;
  message: MessageValue;
}

/** True for a well-formed broadcast (layer messages come from other processes: check). */
export function isBroadcast(message: { type: string; [key: string]: unknown }): message is BroadcastMessage & { [key: string]: unknown } {
  return message.type === BROADCAST && typeof message.topic === 'string' && typeof message.event === 'string';
}

/** True for a well-formed info message. */
export function isInfo(message: { type: string; [key: string]: unknown }): message is InfoMessage & { [key: string]: unknown } {
  return message.type === INFO && typeof message.topic === 'string';
}
