/** Small bounded waits shared by the Redis integration tests. */
import type { ChannelLayer, ChannelLayerEvents } from '../../src/layers/channel-layer';
import { DEFAULT_WAIT_MS, withTimeout } from '../helpers/deadline';
import { scaled } from '../setup/calibrate';

/** A fresh key prefix for one test. */
export { freshPrefix as testPrefix } from '../helpers/redis-keys';

/** Resolve with the next `event` from `layer`, or fail after `timeoutMs`. */
export function nextEvent<E extends keyof ChannelLayerEvents>(
  layer: ChannelLayer,
  event: E,
  bound = 10_000,
): Promise<ChannelLayerEvents[E]> {
  const timeoutMs = scaled(bound);
  return new Promise((resolve, reject) => {
    const listener = (...args: ChannelLayerEvents[E]): void => {
      clearTimeout(timer);
      layer.off(event, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      layer.off(event, listener);
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    layer.on(event, listener);
  });
}

/** `promise`, or a WaitTimeout naming `what` after `timeoutMs` (argument order of the Redis tests). */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  return withTimeout(promise, timeoutMs, what);
}
