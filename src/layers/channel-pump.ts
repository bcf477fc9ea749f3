/**
 * The edge adapter for a layer that cannot push (one not built on
 * BaseChannelLayer): reads the channel with `receive()` in a loop and hands
 * each message to the reader's `[DELIVER]`, exactly as a pushing layer
 * would, so the reader has one way in whatever the backend.
 */
import { LayerClosed, ReceiveAborted } from '../errors';
import type { ChannelLayer, LayerMessage } from './channel-layer';
import { DELIVER, listenToChannel, type ChannelReader } from './channel-listener';

const RETRY_MS = 100;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Reads one channel for one reader until stopped. */
export class ChannelPump {
  readonly #abort = new AbortController();

  /** Starts reading at once; `onError` hears of a failed receive before each retry (100 ms later). */
  constructor(layer: ChannelLayer<any>, channel: string, reader: ChannelReader, onError: (error: unknown) => void) {
    void this.#run(layer, channel, reader, onError);
  }

  /** Stop reading (a pending receive is aborted). */
  stop(): void {
    this.#abort.abort();
  }

  async #run(layer: ChannelLayer<any>, channel: string, reader: ChannelReader, onError: (error: unknown) => void): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let message: LayerMessage;
      try {
        message = (await layer.receive(channel, { signal })) as LayerMessage;
      } catch (error) {
        if (signal.aborted || error instanceof ReceiveAborted || error instanceof LayerClosed) return;
        onError(error);
        await delay(RETRY_MS, signal);
        continue;
      }
      if (signal.aborted) return;
      reader[DELIVER](message);
    }
  }
}

/**
 * Deliver every message of `channel` to `reader[DELIVER]`: pushed by the
 * layer when it can, else by a ChannelPump (returned, to be stopped; null
 * when the layer pushes: stop it with `stopListening`).
 */
export function readChannel(layer: ChannelLayer<any>, channel: string, reader: ChannelReader, onError: (error: unknown) => void): ChannelPump | null {
  if (listenToChannel(layer, channel, reader)) return null;
  return new ChannelPump(layer, channel, reader, onError);
}
