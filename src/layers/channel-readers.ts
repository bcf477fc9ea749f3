/**
 * Who is reading each channel inside this process: at most one push
 * listener (see channel-listener.ts), or `receive()` calls waiting in
 * arrival order. The in-memory layer and the Redis layers' local mailbox
 * both keep their readers here; they differ only in where a message waits
 * when nobody is reading.
 */
import { LayerClosed, ReceiveAborted } from '../errors';
import type { LayerMessage } from './channel-layer';
import { deliverTo, type ChannelListener } from './channel-listener';
import { cloneForDelivery, type SealedMessage } from './message';

interface Waiter {
  channel: string;
  resolve: (message: LayerMessage) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Told when a channel gains or loses one reader (a waiter or a listener). */
export interface ReaderHooks {
  added?(channel: string): void;
  removed?(channel: string): void;
}

export class ChannelReaders {
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #listeners = new Map<string, ChannelListener>();
  readonly #hooks: ReaderHooks;

  constructor(hooks: ReaderHooks = {}) {
    this.#hooks = hooks;
  }

  /** Listeners plus waiting `receive()` calls, over all channels. */
  get count(): number {
    let count = this.#listeners.size;
    for (const list of this.#waiters.values()) count += list.length;
    return count;
  }

  /** True when a listener or a waiter reads exactly `channel`. */
  has(channel: string): boolean {
    return this.#listeners.has(channel) || this.#waiters.has(channel);
  }

  /**
   * Give `sealed` to `channel`'s listener or its oldest waiter, as the
   * message `receive()` returns. False when nobody reads `channel`: the
   * caller keeps the message until someone does.
   */
  handOver(channel: string, sealed: SealedMessage): boolean {
    const listener = this.#listeners.get(channel);
    if (listener !== undefined) {
      deliverTo(listener, cloneForDelivery(sealed));
      return true;
    }
    const list = this.#waiters.get(channel);
    if (list === undefined) return false;
    const waiter = list.shift()!;
    if (list.length === 0) this.#waiters.delete(channel);
    this.#forget(waiter);
    waiter.resolve(cloneForDelivery(sealed));
    return true;
  }

  /** Wait for the next hand-over on `channel`; rejects with ReceiveAborted when `signal` aborts. */
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
      this.#hooks.added?.(channel);
    });
  }

  /**
   * Make `listener` the reader of `channel`: first every message `takeQueued`
   * still holds for it (oldest first), then each hand-over. False when the
   * channel already has a listener.
   */
  listen(channel: string, listener: ChannelListener, takeQueued: (channel: string) => LayerMessage | undefined): boolean {
    if (this.#listeners.has(channel)) return false;
    for (let message = takeQueued(channel); message !== undefined; message = takeQueued(channel)) deliverTo(listener, message);
    this.#listeners.set(channel, listener);
    this.#hooks.added?.(channel);
    return true;
  }

  /** Stop `listener` if it is still `channel`'s. */
  unlisten(channel: string, listener: ChannelListener): void {
    if (this.#listeners.get(channel) !== listener) return;
    this.#listeners.delete(channel);
    this.#hooks.removed?.(channel);
  }

  /** Reject every waiter with LayerClosed and forget every reader (no hooks: the owner is closing). */
  close(what: string): void {
    const error = new LayerClosed(what);
    const waiters = [...this.#waiters.values()].flat();
    this.#waiters.clear();
    this.#listeners.clear();
    for (const waiter of waiters) {
      if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
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
    this.#hooks.removed?.(waiter.channel);
  }
}
