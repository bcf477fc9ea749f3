/**
 * The bound on how far a consumer reads ahead of its handlers when it has to
 * pull client events with `receive()` (a middleware wrapped the server's
 * receive, or a test communicator drives it).
 *
 * Why: the server pauses a flooding client once `maxQueuedMessages` events
 * wait in ITS queue. A consumer that pulled every event into its own queue
 * would keep the server's queue empty, so the client was never paused and
 * the consumer's queue grew without limit. Stopping the pull at a small
 * bound leaves the surplus in the server's queue, where the existing pause
 * applies: one backpressure mechanism, with a pull-only source adapted at
 * the edge (the consumer's pump) instead of a second limit in the server.
 */
export class PullGate {
  /** Client events pulled and not yet handled. */
  #pulled = 0;
  #wake: (() => void) | null = null;
  readonly #bound: number;

  constructor(bound: number) {
    this.#bound = bound;
  }

  /** One event pulled (the pump calls this before queueing it). */
  pulled(): void {
    this.#pulled++;
  }

  /** One pulled event handled: let the pump read again once under the bound. */
  handled(): void {
    if (this.#pulled > 0) this.#pulled--;
    if (this.#pulled < this.#bound) this.release();
  }

  /** Null while under the bound, else a promise that resolves once enough events are handled (or on `release()`). */
  room(): Promise<void> | null {
    if (this.#pulled < this.#bound) return null;
    return new Promise<void>((resolve) => (this.#wake = resolve));
  }

  /** Wake a waiting pump (it re-checks whether the consumer is still running). */
  release(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
