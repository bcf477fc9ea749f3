/**
 * Joining a group with history without a gap or a duplicate: the pieces a
 * consumer (or a Phoenix channel) uses to replay what a client missed and
 * then go on with live messages.
 *
 * The order is what makes it exact: join first (so every later message is
 * delivered live), then read the history (which holds every earlier one),
 * replay it, and from then on drop any live message at or below the offset
 * the history was read at (it arrived live too, or was deliberately skipped).
 */
import type { ChannelLayer, LayerMessage } from './channel-layer';
import { historyPositionOf, replayOf, type HistoryPosition } from './history';

/** What a join with history asks for. */
export interface HistoryJoinOptions {
  /** The last position the client saw; null/absent for a newcomer. */
  since?: HistoryPosition | null;
  /** Messages a newcomer (or a client whose epoch is gone) gets replayed: the newest `last`. Default 0. */
  last?: number;
}

/** The outcome of a join with history. */
export interface HistoryJoin<T = LayerMessage> {
  /** True when nothing after `since` was lost (see GroupHistory.recovered). */
  recovered: boolean;
  /** The group's epoch. */
  epoch: string;
  /** The group's latest offset when the history was read. */
  offset: number;
  /** The messages to deliver before any live one, oldest first, stamped like live ones. */
  messages: T[];
}

/**
 * Add `channel` to `group`, then read what it missed.
 *
 * @example
 * const join = await joinWithHistory(layer, 'chat_lobby', channel, { since, last: 50 });
 * guard.mark('chat_lobby', join.epoch, join.offset);
 * for (const message of join.messages) deliver(message);
 */
export async function joinWithHistory<T extends LayerMessage>(
  layer: ChannelLayer<any>,
  group: string,
  channel: string,
  options: HistoryJoinOptions = {},
): Promise<HistoryJoin<T>> {
  await layer.groupAdd(group, channel);
  const since = options.since ?? null;
  const history = await layer.groupHistory(group, { since });
  const messages = replayOf(history, since, options.last ?? 0).map((entry) => entry.message as unknown as T);
  return { recovered: history.recovered, epoch: history.epoch, offset: history.offset, messages };
}

/**
 * Drops live messages a replay already covered: per group joined with
 * history, the highest offset delivered (or skipped) in its epoch. Messages
 * without a stamp, or of other epochs, always pass.
 */
export class ReplayGuard {
  // The usual one group inline, Maps only from a second: a guard lives as long as its
  // connection, and two Maps cost about 0.3 KB of heap per connection (bench/demo-memory.ts).
  #group: string | null = null;
  #epoch = '';
  #mark = 0;
  #byEpoch: Map<string, number> | null = null;
  #epochOf: Map<string, string> | null = null;

  /** Everything of `group` up to `offset` in `epoch` has been handled. */
  mark(group: string, epoch: string, offset: number): void {
    if (this.#epochOf === null) {
      if (this.#group === null || this.#group === group) {
        const same = this.#group === group && this.#epoch === epoch;
        this.#group = group;
        this.#epoch = epoch;
        this.#mark = Math.max(offset, same ? this.#mark : 0);
        return;
      }
      this.#byEpoch = new Map([[this.#epoch, this.#mark]]);
      this.#epochOf = new Map([[this.#group, this.#epoch]]);
      this.#group = null;
    }
    const byEpoch = this.#byEpoch as Map<string, number>;
    const previous = this.#epochOf.get(group);
    if (previous !== undefined && previous !== epoch) byEpoch.delete(previous);
    this.#epochOf.set(group, epoch);
    byEpoch.set(epoch, Math.max(offset, byEpoch.get(epoch) ?? 0));
  }

  /** False for a message at or below its epoch's mark; otherwise true, and the mark moves up to it. */
  admit(message: Readonly<Record<string, unknown>>): boolean {
    const at = historyPositionOf(message);
    if (at === null) return true;
    const byEpoch = this.#byEpoch;
    if (byEpoch === null) {
      if (this.#group === null || at.epoch !== this.#epoch) return true;
      if (at.offset <= this.#mark) return false;
      this.#mark = at.offset;
      return true;
    }
    const mark = byEpoch.get(at.epoch);
    if (mark === undefined) return true;
    if (at.offset <= mark) return false;
    byEpoch.set(at.epoch, at.offset);
    return true;
  }

  /** Stop guarding `group` (it was left). */
  forget(group: string): void {
    if (this.#epochOf === null) {
      if (this.#group === group) this.#group = null;
      return;
    }
    const epoch = this.#epochOf.get(group);
    if (epoch === undefined) return;
    this.#epochOf.delete(group);
    this.#byEpoch!.delete(epoch);
  }

  get size(): number {
    if (this.#epochOf === null) return this.#group === null ? 0 : 1;
    return this.#epochOf.size;
  }
}

/** Where a consumer's query string keeps the client's last position. */
export interface SinceQueryKeys {
  /** Default `since_offset`. */
  offset?: string;
  /** Default `since_epoch`. */
  epoch?: string;
}
