/**
 * A timer-drift monitor of the event loop: a timer due every `interval` ms
 * notes how late it fired. A loop blocked by synchronous work fires it late
 * by about the time it was blocked. One timer per server, unref'ed.
 */
import { performance } from 'node:perf_hooks';

export class LoopMonitor {
  readonly #interval: number;
  #timer: NodeJS.Timeout | null = null;
  #due = 0;
  #lastDelay = 0;

  constructor(interval: number) {
    this.#interval = interval;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#schedule();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * How far behind the loop is, in ms: the lateness of the last tick, or how
   * overdue the next one is if that is more (a check that runs right after a
   * stall, before the timer, still sees it).
   */
  get delay(): number {
    if (this.#timer === null) return 0;
    const overdue = performance.now() - this.#due;
    return Math.max(this.#lastDelay, overdue, 0);
  }

  #schedule(): void {
    this.#due = performance.now() + this.#interval;
    this.#timer = setTimeout(() => this.#tick(), this.#interval);
    this.#timer.unref();
  }

  #tick(): void {
    this.#lastDelay = Math.max(0, performance.now() - this.#due);
    this.#schedule();
  }
}
