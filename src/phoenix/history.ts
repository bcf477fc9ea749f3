/**
 * Recovery for Phoenix channels: what a join asks for (`since` in the join
 * payload), where a broadcast's history position goes on the wire (into the
 * pushed payload, as `offset` and `epoch`), and what the join reply tells
 * the client (`recovered`, `epoch`, `offset`).
 *
 * The exactness itself (subscribe, then read, then drop live duplicates) is
 * the consumer's `groupAdd(group, { since, last })`; the connection calls it
 * for a join that asked for history.
 */
import { InvalidHistoryPosition } from '../errors';
import { HISTORY_EPOCH_KEY, HISTORY_OFFSET_KEY, type HistoryPosition } from '../layers/history';
import type { HistoryJoinOptions } from '../layers/history-recovery';

/** The payload key a broadcast's offset is pushed under. */
export const PAYLOAD_OFFSET_KEY = 'offset';
/** The payload key a broadcast's epoch is pushed under. */
export const PAYLOAD_EPOCH_KEY = 'epoch';

/** What `Channel.recoverHistory` takes: the client's last position and what a newcomer gets. */
export type ChannelHistoryOptions = HistoryJoinOptions;

/** What a join with history adds to its reply's response. */
export interface RecoveryReply {
  /** False when messages after `since` were lost (other epoch, too old): refetch the state. */
  recovered: boolean;
  /** The topic's current epoch. */
  epoch: string;
  /** The topic's latest offset when the join read its history. */
  offset: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The `since` position of a join payload (`{since: {offset, epoch}}`): null
 * when the payload has none (`since` absent or null). Throws
 * InvalidHistoryPosition when it is there but malformed; thrown from
 * `join()`, that refuses the join with `{reason}`.
 *
 * @example
 * override join(topic: string, payload: unknown) {
 *   this.recoverHistory({ since: sinceFromPayload(payload), last: 50 });
 *   return Reply.ok();
 * }
 */
export function sinceFromPayload(payload: unknown, key = 'since'): HistoryPosition | null {
  if (!isPlainObject(payload)) return null;
  const since = payload[key];
  if (since === undefined || since === null) return null;
  if (!isPlainObject(since)) throw new InvalidHistoryPosition(`${key} must be {offset, epoch}`);
  const { offset, epoch } = since;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidHistoryPosition(`${key}.offset must be a whole number >= 0`);
  }
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > 64) {
    throw new InvalidHistoryPosition(`${key}.epoch must be a string of 1 to 64 characters`);
  }
  return { offset, epoch };
}

/**
 * The payload a broadcast is pushed with: a plain-object payload of a
 * message that carries a history position gets `offset` and `epoch` added
 * (they win over keys of those names); anything else is pushed as is.
 */
export function payloadWithPosition(message: Readonly<Record<string, unknown>>, payload: unknown): unknown {
  const offset = message[HISTORY_OFFSET_KEY];
  const epoch = message[HISTORY_EPOCH_KEY];
  if (typeof offset !== 'number' || typeof epoch !== 'string' || !isPlainObject(payload)) return payload;
  return { ...payload, [PAYLOAD_OFFSET_KEY]: offset, [PAYLOAD_EPOCH_KEY]: epoch };
}

/**
 * A join reply's response with the recovery outcome added. Only a plain
 * object (or no response) can take it; any other response (binary, an
 * array) goes out unchanged rather than be lost.
 */
export function withRecovery(response: unknown, recovery: RecoveryReply): unknown {
  if (response !== undefined && !isPlainObject(response)) return response;
  return { ...response, recovered: recovery.recovered, epoch: recovery.epoch, offset: recovery.offset };
}
