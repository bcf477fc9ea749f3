/**
 * Waiting for an event with an upper bound: the one way real-socket tests
 * wait (never a bare sleep). A timeout rejects with a message naming what
 * was awaited, so a hanging test says why.
 */

import { scaled } from '../setup/calibrate';

/** Default bound for a single wait in real-socket tests, in ms (before scaling, see below). */
export const DEFAULT_WAIT_MS = 5_000;

/** Rejected when `withTimeout` runs out. */
export class WaitTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting for ${what}`);
    this.name = 'WaitTimeout';
  }
}

/**
 * Resolves like `promise`, or rejects with WaitTimeout after `ms` times the
 * machine's calibrated slowness (tests/setup/calibrate.ts): a bound for a
 * hanging test, never a speed claim. The timer never outlives the wait.
 */
export function withTimeout<T>(promise: Promise<T>, bound: number, what: string): Promise<T> {
  const ms = scaled(bound);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new WaitTimeout(what, ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A promise plus the functions that settle it, for turning callbacks into awaitable events. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Creates a Deferred. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Polls `condition` on every macrotask turn until it holds, bounded by `ms`.
 * For state that has no event to wait on (e.g. a counter); prefer events.
 */
export async function waitFor(condition: () => boolean, bound: number, what: string): Promise<void> {
  const ms = scaled(bound);
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new WaitTimeout(what, ms);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
