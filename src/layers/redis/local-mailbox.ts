/**
 * Per-channel buffers and waiting receivers inside one process. Redis layers
 * move messages from Redis into here (a pop loop, a subscription) and
 * `receive()` reads from here. A buffer is bounded by its channel's capacity,
 * so a consumer that stopped reading costs at most `capacity` messages.
 *
 * Invariant: a channel has waiters (or a listener) only while its buffer is
 * empty, so a delivery goes to the listener, the oldest waiter or the end of
 * the buffer, and FIFO holds for one reader.
 */
import { LayerClosed, ReceiveAborted } from '../../errors';
import type { LayerMessage } from '../channel-layer';
import type { ChannelListener } from '../channel-listener';
import { cloneForDelivery, type SealedMessage } from '../message';
import { nonLocalName } from '../names';

interface Buffered {
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

/** How a full buffer takes one more message. */
export type Overflow = 'drop-oldest' | 'refuse';

/** Callbacks and settings of a mailbox. */
export interface MailboxOptions {
  now(): number;
  capacityOf(channel: string): number;
  /** A message was dropped here (buffer full). */
  onDropped(channel: string, reason: string): void;
  /** The first waiter for a queue key (non-local name) appeared. */
  onWatch(key: string): void;
}

/** Local buffers and waiters of one layer instance. */
export class LocalMailbox {
  readonly #options: MailboxOptions;
  readonly #buffers = new Map<string, Buffered[]>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #listeners = new Map<string, ChannelListener>();
  readonly #watched = new Map<string, number>();

  constructor(options: MailboxOptions) {
    this.#options = options;
  }

  /** Queue keys (non-local names) some receiver is waiting on. */
  watchedKeys(): IterableIterator<string> {
    return this.#watched.keys();
  }

  /** True when `key` has at least one waiter. */
  isWatched(key: string): boolean {
    return this.#watched.has(key);
  }

  /** True when a waiter or a listener is waiting on exactly `channel`. */
  hasWaiter(channel: string): boolean {
    return this.#listeners.has(channel) || this.#waiters.has(channel);
  }

  /** True when one more message for `channel` would fit (a waiter or listener always has room). */
  hasRoom(channel: string): boolean {
    if (this.#listeners.has(channel) || this.#waiters.has(channel)) return true;
    const buffer = this.#buffers.get(channel);
    if (buffer === undefined) return true;
    this.#purge(buffer);
    if (buffer.length === 0) this.#buffers.delete(channel);
    return buffer.length < this.#options.capacityOf(channel);
  }

  /** Buffered, undelivered messages (for stats and tests). */
  get size(): number {
    let size = 0;
    for (const buffer of this.#buffers.values()) size += buffer.length;
    return size;
  }

  /**
   * Hand a message to the oldest waiter on `channel`, or buffer it. When the
   * buffer is full, `drop-oldest` makes room (reporting the drop) and
   * `refuse` reports and returns false. An already expired message is dropped silently.
   */
  deliver(channel: string, sealed: SealedMessage, expiresAt: number, overflow: Overflow): boolean {
    if (expiresAt <= this.#options.now()) return true;
    const listener = this.#listeners.get(channel);
    if (listener !== undefined) {
      listener(cloneForDelivery(sealed));
      return true;
    }
    const list = this.#waiters.get(channel);
    if (list !== undefined) {
      const waiter = list.shift()!;
      if (list.length === 0) this.#waiters.delete(channel);
      this.#forget(waiter);
      waiter.resolve(cloneForDelivery(sealed));
      return true;
    }
    let buffer = this.#buffers.get(channel);
    if (buffer === undefined) this.#buffers.set(channel, (buffer = []));
    else if (buffer.length >= this.#options.capacityOf(channel)) {
      this.#purge(buffer);
      if (buffer.length >= this.#options.capacityOf(channel)) {
        if (overflow === 'refuse') {
          this.#options.onDropped(channel, 'local buffer full');
          return false;
        }
        buffer.shift();
        this.#options.onDropped(channel, 'local buffer full; oldest message dropped');
      }
    }
    buffer.push({ sealed, expiresAt });
    return true;
  }

  /** The oldest unexpired buffered message for `channel`, if any. */
  take(channel: string): LayerMessage | undefined {
    const buffer = this.#buffers.get(channel);
    if (buffer === undefined) return undefined;
    const now = this.#options.now();
    let entry = buffer.shift();
    while (entry !== undefined && entry.expiresAt <= now) entry = buffer.shift();
    if (buffer.length === 0) this.#buffers.delete(channel);
    return entry === undefined ? undefined : cloneForDelivery(entry.sealed);
  }

  /** Wait for the next delivery to `channel`; rejects with ReceiveAborted when `signal` aborts. */
  wait(channel: string, signal: AbortSignal | undefined): Promise<LayerMessage> {
    return new Promise<LayerMessage>((resolve, reject) => {
      const waiter: Waiter = { channel, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => this.#abandon(waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      const list = this.#waiters.get(channel);
      if (list === undefined) this.#waiters.set(channel, [waiter]);
      else list.push(waiter);
      this.#watch(channel);
    });
  }

  /**
   * Push every message for `channel` to `listener`: the buffered ones now,
   * then each delivery as it comes. False when `channel` already has one.
   */
  listen(channel: string, listener: ChannelListener): boolean {
    if (this.#listeners.has(channel)) return false;
    for (let message = this.take(channel); message !== undefined; message = this.take(channel)) listener(message);
    this.#listeners.set(channel, listener);
    this.#watch(channel);
    return true;
  }

  /** Stop `listener` if it is still `channel`'s. */
  unlisten(channel: string, listener: ChannelListener): void {
    if (this.#listeners.get(channel) !== listener) return;
    this.#listeners.delete(channel);
    this.#unwatch(channel);
  }

  /** Drop every buffered message (flush); waiters keep waiting. */
  clear(): void {
    this.#buffers.clear();
  }

  /** Reject every waiter with LayerClosed and drop all buffers. */
  close(what: string): void {
    const error = new LayerClosed(what);
    const waiters = [...this.#waiters.values()].flat();
    this.#waiters.clear();
    this.#listeners.clear();
    this.#watched.clear();
    this.#buffers.clear();
    for (const waiter of waiters) {
      if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
  }

  #purge(buffer: Buffered[]): void {
    const now = this.#options.now();
    let expired = 0;
    while (expired < buffer.length && buffer[expired]!.expiresAt <= now) expired++;
    if (expired > 0) buffer.splice(0, expired);
  }

  #abandon(waiter: Waiter): void {
    const list = this.#waiters.get(waiter.channel);
    const index = list === undefined ? -1 : list.indexOf(waiter);
    if (index === -1) return;
    list!.splice(index, 1);
    if (list!.length === 0) this.#waiters.delete(waiter.channel);
    this.#forget(waiter);
    waiter.reject(new ReceiveAborted(waiter.channel));
  }

  #forget(waiter: Waiter): void {
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    this.#unwatch(waiter.channel);
  }

  /** One more reader (waiter or listener) on `channel`'s queue key; the first one starts the pop loop. */
  #watch(channel: string): void {
    const key = nonLocalName(channel);
    const count = this.#watched.get(key) ?? 0;
    this.#watched.set(key, count + 1);
    if (count === 0) this.#options.onWatch(key);
  }

  #unwatch(channel: string): void {
    const key = nonLocalName(channel);
    const count = this.#watched.get(key)! - 1;
    if (count === 0) this.#watched.delete(key);
    else this.#watched.set(key, count);
  }
}
