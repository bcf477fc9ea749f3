/**
 * Push delivery, an internal alternative to `receive()` for the one reader
 * of a channel inside this process (a consumer reading its own channel).
 *
 * `receive()` costs a promise, a waiter record and an AbortSignal listener
 * per message; for a group of N members that is N of each per group send.
 * A listener is called synchronously with each message as it is delivered,
 * in order, with the same message a `receive()` would have returned (the
 * shared frozen copy, or a per-reader copy when it holds binary values).
 *
 * Not part of the public ChannelLayer contract: backends that cannot push
 * (or layers not built on BaseChannelLayer) leave the reader on `receive()`.
 */
import { DELIVER, LISTEN, UNLISTEN } from '../symbols';
import type { LayerMessage } from './channel-layer';

/** The method keys of a ChannelReader and of a ListenableLayer (see symbols.ts). */
export { DELIVER, LISTEN, UNLISTEN };

/**
 * A listener as an object called through its `[DELIVER]` method: a reader
 * that lives as long as its connection (a consumer) registers itself rather
 * than a closure and its context (idle memory per connection). Must not throw.
 */
export interface ChannelReader {
  [DELIVER](message: LayerMessage): void;
}

/** Takes each message delivered to the listened channel: a function or a ChannelReader. Must not throw. */
export type ChannelListener = ((message: LayerMessage) => void) | ChannelReader;

/** Call `listener` with `message`, whichever form it has. */
export function deliverTo(listener: ChannelListener, message: LayerMessage): void {
  if (typeof listener === 'function') listener(message);
  else listener[DELIVER](message);
}

/** A layer that may deliver to a listener. */
export interface ListenableLayer {
  /**
   * Deliver every message for `channel` to `listener` from now on: first the
   * ones already queued (synchronously, oldest first), then each new one as
   * it is sent. False when this backend cannot push or `channel` already
   * has a listener: read it with `receive()` then.
   */
  [LISTEN](channel: string, listener: ChannelListener): boolean;
  /** Stop `listener` (if it is still `channel`'s); later messages queue for `receive()`. */
  [UNLISTEN](channel: string, listener: ChannelListener): void;
}

/** Start push delivery of `channel` if `layer` supports it; false means: use `receive()`. */
export function listenToChannel(layer: object, channel: string, listener: ChannelListener): boolean {
  const listen = (layer as Partial<ListenableLayer>)[LISTEN];
  return typeof listen === 'function' && listen.call(layer, channel, listener);
}

/** Stop push delivery started by `listenToChannel`. */
export function stopListening(layer: object, channel: string, listener: ChannelListener): void {
  (layer as Partial<ListenableLayer>)[UNLISTEN]?.(channel, listener);
}
