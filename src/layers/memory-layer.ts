/**
 * The embedded channel layer: everything in one process, no I/O.
 *
 * Queues are keyed by the non-local channel name (where capacity is
 * counted), so all process-local channels `p.tok!*` of this layer share one
 * queue whose entries remember their full channel. Receivers wait on a
 * per-channel resolver list; a send hands the message straight to the oldest
 * waiter, so a queue only holds messages nobody is waiting for. Expired
 * messages sit at the front of a queue (expiry is the same for all), so they
 * are dropped lazily from the front, plus one unref'ed sweep timer per layer.
 * Empty queues, groups and waiter lists are deleted, so memory returns to
 * baseline when traffic stops.
 */
import { LayerClosed, ChannelFull, InvalidOption, ReceiveAborted } from '../errors';
import { BaseChannelLayer } from './base-channel-layer';
import type { AnyEventMap, ChannelLayerOptions, EventMap, GroupSendResult, LayerMessage } from './channel-layer';
import { DELIVER, type ChannelListener, type ChannelReader } from './channel-listener';
import { cloneForDelivery, type SealedMessage } from './message';
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

interface Waiter {
  channel: string;
  resolve: (message: LayerMessage) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
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
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #listeners = new Map<string, ChannelListener | ChannelReader>();
  // Membership expiry, in ms since #epoch: a small integer rather than a
  // heap-allocated number per membership (idle memory per connection).
  readonly #groups = new Map<string, Map<string, number>>();
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
  }

  /** Current internal sizes; all zero once channels and groups are emptied. */
  stats(): InMemoryLayerStats {
    let messages = 0;
    for (const queue of this.#queues.values()) messages += queue.size;
    let memberships = 0;
    for (const members of this.#groups.values()) memberships += members.size;
    let waiters = this.#listeners.size;
    for (const list of this.#waiters.values()) waiters += list.length;
    return { channels: this.#queues.size, groups: this.#groups.size, memberships, waiters, messages };
  }

  protected async doSend(channel: string, sealed: SealedMessage): Promise<void> {
    if (!this.#deliver(channel, sealed, this.now())) throw new ChannelFull(channel, this.capacityOf(channel));
  }

  protected doReceive(channel: string, signal: AbortSignal | undefined): Promise<LayerMessage> {
    const key = nonLocalName(channel);
    const queue = this.#queues.get(key);
    if (queue !== undefined) {
      const now = this.now();
      queue.purge(now);
      const entry = queue.take(channel, now);
      if (queue.size === 0) this.#queues.delete(key);
      if (entry !== undefined) return Promise.resolve(cloneForDelivery(entry.sealed));
    }
    return new Promise<LayerMessage>((resolve, reject) => {
      const waiter: Waiter = { channel, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => this.#abandon(waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      const list = this.#waiters.get(channel);
      if (list === undefined) this.#waiters.set(channel, [waiter]);
      else list.push(waiter);
    });
  }

  protected override doListen(channel: string, listener: ChannelListener): boolean {
    return this.#listen(channel, listener);
  }

  protected override doListenReader(channel: string, reader: ChannelReader): boolean {
    return this.#listen(channel, reader);
  }

  #listen(channel: string, listener: ChannelListener | ChannelReader): boolean {
    if (this.#listeners.has(channel)) return false;
    const key = nonLocalName(channel);
    const queue = this.#queues.get(key);
    if (queue !== undefined) {
      const now = this.now();
      queue.purge(now);
      for (let entry = queue.take(channel, now); entry !== undefined; entry = queue.take(channel, now)) {
        deliverTo(listener, cloneForDelivery(entry.sealed));
      }
      if (queue.size === 0 && this.#queues.get(key) === queue) this.#queues.delete(key);
    }
    this.#listeners.set(channel, listener);
    return true;
  }

  protected override doUnlisten(channel: string, listener: ChannelListener | ChannelReader): void {
    if (this.#listeners.get(channel) === listener) this.#listeners.delete(channel);
  }

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
  }

  protected async doClose(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    const error = new LayerClosed('InMemoryChannelLayer');
    for (const list of this.#waiters.values()) {
      for (const waiter of list) {
        this.#detach(waiter);
        waiter.reject(error);
      }
    }
    this.#waiters.clear();
    this.#listeners.clear();
    this.#queues.clear();
    this.#groups.clear();
  }

  /** Hand `sealed` to the oldest waiter on `channel`, else queue it; false when the queue is full. */
  #deliver(channel: string, sealed: SealedMessage, now: number): boolean {
    const listener = this.#listeners.get(channel);
    if (listener !== undefined) {
      deliverTo(listener, cloneForDelivery(sealed));
      return true;
    }
    const list = this.#waiters.get(channel);
    if (list !== undefined) {
      const waiter = list.shift()!;
      if (list.length === 0) this.#waiters.delete(channel);
      this.#detach(waiter);
      waiter.resolve(cloneForDelivery(sealed));
      return true;
    }
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

  #abandon(waiter: Waiter): void {
    const list = this.#waiters.get(waiter.channel);
    if (list === undefined) return;
    const index = list.indexOf(waiter);
    if (index === -1) return;
    list.splice(index, 1);
    if (list.length === 0) this.#waiters.delete(waiter.channel);
    waiter.reject(new ReceiveAborted(waiter.channel));
  }

  #detach(waiter: Waiter): void {
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
  }
}

function deliverTo(listener: ChannelListener | ChannelReader, message: LayerMessage): void {
  if (typeof listener === 'function') listener(message);
  else listener[DELIVER](message);
}
