/**
 * The embedded channel layer: everything in one process, no I/O.
 *
 * Queues are keyed by the non-local channel name (where capacity is
 * counted), so all process-local channels `p.tok!*` of this layer share one
 * queue whose entries remember their full channel. Readers (listeners and
 * waiting receives) live in ChannelReaders; a send hands the message straight
 * to a reader, so a queue only holds messages nobody is waiting for. Expired
 * messages sit at the front of a queue (expiry is the same for all), so they
 * are dropped lazily from the front, plus one unref'ed sweep timer per layer.
 * Empty queues, groups and waiter lists are deleted, so memory returns to
 * baseline when traffic stops.
 */
import { randomBytes } from 'node:crypto';
import { ChannelFull, InvalidOption } from '../errors';
import { BaseChannelLayer } from './base-channel-layer';
import type { AnyEventMap, ChannelLayerOptions, EventMap, GroupSendResult, LayerMessage } from './channel-layer';
import type { ChannelListener } from './channel-listener';
import { ChannelReaders } from './channel-readers';
import {
  HISTORY_EPOCH_KEY,
  HISTORY_OFFSET_KEY,
  selectHistory,
  type GroupHistory,
  type GroupHistoryOptions,
  type HistoryEntry,
  type ResolvedRetention,
} from './history';
import { cloneForDelivery, extendSealed, type SealedMessage } from './message';
import { nonLocalName } from './names';

/** Options of InMemoryChannelLayer. */
export interface InMemoryChannelLayerOptions extends ChannelLayerOptions {
  /**
   * Seconds between sweeps of expired messages and memberships nobody
   * touched (reads and sends also drop them lazily). Default: `expiry`,
   * at most 60. `0` disables the timer (purely lazy).
   */
  sweepInterval?: number;
}

/** Internal sizes, for tests and diagnostics (see `stats()`). */
export interface InMemoryLayerStats {
  /** Non-empty queues (keyed by non-local channel name). */
  channels: number;
  /** Non-empty groups. */
  groups: number;
  /** Memberships across all groups (expired ones count until swept). */
  memberships: number;
  /** Readers waiting: pending `receive` calls plus push listeners (consumers reading their channel). */
  waiters: number;
  /** Queued, undelivered messages (expired ones count until swept). */
  messages: number;
}

interface Entry {
  channel: string;
  sealed: SealedMessage;
  expiresAt: number;
}

/** FIFO with an advancing head, so taking from the front is O(1) without `shift()`. */
class Fifo {
  items: Array<Entry | undefined> = [];
  head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(entry: Entry): void {
    this.items.push(entry);
  }

  /** Drop expired entries from the front. */
  purge(now: number): void {
    while (this.head < this.items.length && this.items[this.head]!.expiresAt <= now) this.items[this.head++] = undefined;
    this.#compact();
  }

  /** Remove and return the oldest unexpired entry for `channel`. */
  take(channel: string, now: number): Entry | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const entry = this.items[i]!;
      if (entry.channel !== channel) continue;
      if (i === this.head) this.items[this.head++] = undefined;
      else this.items.splice(i--, 1);
      // Only a clock that went backwards leaves an expired entry behind a live one.
      if (entry.expiresAt > now) {
        this.#compact();
        return entry;
      }
    }
    this.#compact();
    return undefined;
  }

  #compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
}

interface Stored {
  offset: number;
  at: number;
  sealed: SealedMessage;
}

/**
 * One group's history: a bounded ring of stamped messages. The epoch is
 * random per ring, so a restarted process (or a flush) starts a new one and
 * positions from before are recognisably stale.
 */
class HistoryRing {
  readonly epoch = randomBytes(8).toString('base64url');
  offset = 0;
  lastWrite = 0;
  entries: Stored[] = [];

  /** Drop entries past the size bound or older than ttl. */
  trim(retention: ResolvedRetention, now: number): void {
    let drop = Math.max(0, this.entries.length - retention.size);
    const cutoff = now - retention.ttlMs;
    while (drop < this.entries.length && this.entries[drop]!.at <= cutoff) drop++;
    if (drop > 0) this.entries.splice(0, drop);
  }
}

/**
 * A channel layer inside one process: the default when nothing is configured.
 * Two instances are separate worlds (like two unconnected servers).
 *
 * @example
 * const layer = new InMemoryChannelLayer({ capacity: 200, channelCapacity: { 'http.*': 50 } });
 * const channel = await layer.newChannel();
 * await layer.groupAdd('room.lobby', channel);
 * await layer.groupSend('room.lobby', { type: 'chat.message', text: 'hi' });
 * await layer.receive(channel); // { type: 'chat.message', text: 'hi' }
 */
export class InMemoryChannelLayer<M extends EventMap = AnyEventMap> extends BaseChannelLayer<M> {
  readonly #queues = new Map<string, Fifo>();
  readonly #readers = new ChannelReaders();
  // Membership expiry, in ms since #epoch: a small integer rather than a
  // heap-allocated number per membership (idle memory per connection).
  readonly #groups = new Map<string, Map<string, number>>();
  readonly #history = new Map<string, HistoryRing>();
  readonly #epoch: number;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: InMemoryChannelLayerOptions = {}) {
    super(options);
    this.#epoch = this.now();
    const interval = options.sweepInterval ?? Math.min(this.expiry, 60);
    if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0) {
      throw new InvalidOption(`sweepInterval must be a number of seconds >= 0, got ${String(interval)}`);
    }
    if (interval > 0) {
      this.#timer = setInterval(() => this.sweep(), Math.max(interval * 1000, 100));
      this.#timer.unref();
    }
  }

  /** Drop expired messages and memberships now (the sweep timer does this periodically). */
  sweep(): void {
    const now = this.now();
    for (const [key, queue] of this.#queues) {
      queue.purge(now);
      if (queue.size === 0) this.#queues.delete(key);
    }
    const groupNow = now - this.#epoch;
    for (const [group, members] of this.#groups) {
      for (const [channel, expiresAt] of members) if (expiresAt <= groupNow) members.delete(channel);
      if (members.size === 0) this.#groups.delete(group);
    }
    // A ring is forgotten (its epoch with it) only once idle for longer than a membership lives.
    for (const [group, ring] of this.#history) if (ring.lastWrite + this.groupExpiryMs <= now) this.#history.delete(group);
  }

  /** Current internal sizes; all zero once channels and groups are emptied. */
  stats(): InMemoryLayerStats {
    let messages = 0;
    for (const queue of this.#queues.values()) messages += queue.size;
    let memberships = 0;
    for (const members of this.#groups.values()) memberships += members.size;
    return { channels: this.#queues.size, groups: this.#groups.size, memberships, waiters: this.#readers.count, messages };
  }

  protected async doSend(channel: string, sealed: SealedMessage): Promise<void> {
    if (!this.#deliver(channel, sealed, this.now())) throw new ChannelFull(channel, this.capacityOf(channel));
  }

  protected doReceive(channel: string, signal: AbortSignal | undefined): Promise<LayerMessage> {
    const queued = this.#takeQueued(channel);
    return queued !== undefined ? Promise.resolve(queued) : this.#readers.wait(channel, signal);
  }

  protected override doListen(channel: string, listener: ChannelListener): boolean {
    return this.#readers.listen(channel, listener, this.#takeQueued);
  }

  protected override doUnlisten(channel: string, listener: ChannelListener): void {
    this.#readers.unlisten(channel, listener);
  }

  /** The oldest unexpired queued message for `channel`, taken off its queue. */
  readonly #takeQueued = (channel: string): LayerMessage | undefined => {
    const key = nonLocalName(channel);
    const queue = this.#queues.get(key);
    if (queue === undefined) return undefined;
    const now = this.now();
    queue.purge(now);
    const entry = queue.take(channel, now);
    if (queue.size === 0) this.#queues.delete(key);
    return entry === undefined ? undefined : cloneForDelivery(entry.sealed);
  };

  protected async doGroupAdd(group: string, channel: string): Promise<void> {
    let members = this.#groups.get(group);
    if (members === undefined) this.#groups.set(group, (members = new Map()));
    members.set(channel, this.now() - this.#epoch + this.groupExpiryMs);
  }

  protected async doGroupDiscard(group: string, channel: string): Promise<void> {
    const members = this.#groups.get(group);
    if (members === undefined) return;
    members.delete(channel);
    if (members.size === 0) this.#groups.delete(group);
  }

  protected async doGroupSend(group: string, sealed: SealedMessage): Promise<GroupSendResult> {
    const retention = this.historyRetentionOf(group);
    if (retention === null) return this.#fanOut(group, sealed);
    const now = this.now();
    const ring = this.#ring(group, now);
    const offset = ++ring.offset;
    const stamped = extendSealed(sealed, { [HISTORY_OFFSET_KEY]: offset, [HISTORY_EPOCH_KEY]: ring.epoch });
    ring.entries.push({ offset, at: now, sealed: stamped });
    ring.trim(retention, now);
    const { dropped } = this.#fanOut(group, stamped);
    return { dropped, offset, epoch: ring.epoch };
  }

  protected override async doGroupHistory(group: string, options: GroupHistoryOptions, retention: ResolvedRetention): Promise<GroupHistory> {
    const now = this.now();
    const ring = this.#ring(group, now);
    ring.trim(retention, now);
    const entries: HistoryEntry[] = ring.entries.map((entry) => ({ offset: entry.offset, message: cloneForDelivery(entry.sealed) }));
    return selectHistory(entries, ring.epoch, ring.offset, options);
  }

  #ring(group: string, now: number): HistoryRing {
    let ring = this.#history.get(group);
    if (ring === undefined) this.#history.set(group, (ring = new HistoryRing()));
    ring.lastWrite = now;
    return ring;
  }

  #fanOut(group: string, sealed: SealedMessage): GroupSendResult {
    const members = this.#groups.get(group);
    if (members === undefined) return { dropped: 0 };
    const now = this.now();
    const groupNow = now - this.#epoch;
    let dropped = 0;
    for (const [channel, expiresAt] of members) {
      if (expiresAt <= groupNow) members.delete(channel);
      else if (!this.#deliver(channel, sealed, now)) dropped++;
    }
    if (members.size === 0) this.#groups.delete(group);
    return { dropped };
  }

  protected async doGroupMembers(group: string): Promise<string[]> {
    const members = this.#groups.get(group);
    if (members === undefined) return [];
    const groupNow = this.now() - this.#epoch;
    const live: string[] = [];
    for (const [channel, expiresAt] of members) {
      if (expiresAt <= groupNow) members.delete(channel);
      else live.push(channel);
    }
    if (members.size === 0) this.#groups.delete(group);
    return live;
  }

  protected async doFlush(): Promise<void> {
    this.#queues.clear();
    this.#groups.clear();
    this.#history.clear();
  }

  protected async doClose(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#readers.close('InMemoryChannelLayer');
    this.#queues.clear();
    this.#groups.clear();
    this.#history.clear();
  }

  /** Hand `sealed` to the reader of `channel`, else queue it; false when the queue is full. */
  #deliver(channel: string, sealed: SealedMessage, now: number): boolean {
    if (this.#readers.handOver(channel, sealed)) return true;
    const key = nonLocalName(channel);
    let queue = this.#queues.get(key);
    if (queue === undefined) {
      this.#queues.set(key, (queue = new Fifo()));
    } else if (queue.size >= this.capacityOf(key)) {
      queue.purge(now);
      if (queue.size >= this.capacityOf(key)) return false;
    }
    queue.push({ channel, sealed, expiresAt: now + this.expiryMs });
    return true;
  }
}
