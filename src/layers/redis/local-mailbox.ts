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
import type { LayerMessage } from '../channel-layer';
import type { ChannelListener } from '../channel-listener';
import { ChannelReaders } from '../channel-readers';
import { cloneForDelivery, type SealedMessage } from '../message';
import { nonLocalName } from '../names';

interface Buffered {
  sealed: SealedMessage;
  expiresAt: number;
}

/** How a full buffer takes one more message. */
export type Overflow = 'drop-oldest' | 'refuse';

/** Callbacks and settings of a mailbox. */
export interface MailboxOptions {
  now(): number;
  capacityOf(channel: string): number;
  /** A message was dropped here to make room (`drop-oldest`); a refused one is the caller's to report. */
  onDropped(channel: string, reason: string): void;
  /** The first waiter for a queue key (non-local name) appeared. */
  onWatch(key: string): void;
}

/** Local buffers and waiters of one layer instance. */
export class LocalMailbox {
  readonly #options: MailboxOptions;
  readonly #buffers = new Map<string, Buffered[]>();
  // Every reader counts toward its queue key's watch: the first one starts the pop loop.
  readonly #readers = new ChannelReaders({
    added: (channel) => this.#watch(channel),
    removed: (channel) => this.#unwatch(channel),
  });
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
    return this.#readers.has(channel);
  }

  /** True when one more message for `channel` would fit (a waiter or listener always has room). */
  hasRoom(channel: string): boolean {
    if (this.#readers.has(channel)) return true;
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
   * `refuse` returns false, leaving the report to the caller (a group send
   * counts its refusals, a direct send throws). An already expired message
   * is dropped silently.
   */
  deliver(channel: string, sealed: SealedMessage, expiresAt: number, overflow: Overflow): boolean {
    if (expiresAt <= this.#options.now()) return true;
    if (this.#readers.handOver(channel, sealed)) return true;
    let buffer = this.#buffers.get(channel);
    if (buffer === undefined) this.#buffers.set(channel, (buffer = []));
    else if (buffer.length >= this.#options.capacityOf(channel)) {
      this.#purge(buffer);
      if (buffer.length >= this.#options.capacityOf(channel)) {
        if (overflow === 'refuse') return false;
        buffer.shift();
        this.#options.onDropped(channel, 'local buffer full; oldest message dropped');
      }
    }
    buffer.push({ sealed, expiresAt });
    return true;
  }

  /** The oldest unexpired buffered message for `channel`, if any. */
  take(channel: string): LayerMessage | undefined {
    return this.#take(channel);
  }

  readonly #take = (channel: string): LayerMessage | undefined => {
    const buffer = this.#buffers.get(channel);
    if (buffer === undefined) return undefined;
    const now = this.#options.now();
    let entry = buffer.shift();
    while (entry !== undefined && entry.expiresAt <= now) entry = buffer.shift();
    if (buffer.length === 0) this.#buffers.delete(channel);
    return entry === undefined ? undefined : cloneForDelivery(entry.sealed);
  };

  /** Wait for the next delivery to `channel`; rejects with ReceiveAborted when `signal` aborts. */
  wait(channel: string, signal: AbortSignal | undefined): Promise<LayerMessage> {
    return this.#readers.wait(channel, signal);
  }

  /**
   * Push every message for `channel` to `listener`: the buffered ones now,
   * then each delivery as it comes. False when `channel` already has one.
   */
  listen(channel: string, listener: ChannelListener): boolean {
    return this.#readers.listen(channel, listener, this.#take);
  }

  /** Stop `listener` if it is still `channel`'s. */
  unlisten(channel: string, listener: ChannelListener): void {
    this.#readers.unlisten(channel, listener);
  }

  /** Drop every buffered message (flush); waiters keep waiting. */
  clear(): void {
    this.#buffers.clear();
  }

  /** Reject every waiter with LayerClosed and drop all buffers. */
  close(what: string): void {
    this.#watched.clear();
    this.#buffers.clear();
    this.#readers.close(what);
  }

  #purge(buffer: Buffered[]): void {
    const now = this.#options.now();
    let expired = 0;
    while (expired < buffer.length && buffer[expired]!.expiresAt <= now) expired++;
    if (expired > 0) buffer.splice(0, expired);
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
