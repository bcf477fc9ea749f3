/**
 * A timer-drift monitor of the event loop: a timer due every `interval` ms
 * notes how late it fired. A loop blocked by synchronous work fires it late
 * by about the time it was blocked. One timer per server, unref'ed.
 */
import { performance } from 'node:perf_hooks';

/** How long a stall stays visible after the loop recovered, in ms: a probe arriving just after it still sees it. */
const REMEMBER_MS = 1000;

export class LoopMonitor {
  readonly #interval: number;
  #timer: NodeJS.Timeout | null = null;
  #due = 0;
  /** The largest lateness seen within the last REMEMBER_MS, and when. */
  #worst = 0;
  #worstAt = 0;

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
   * How far behind the loop is or recently was, in ms: the worst lateness
   * of the last second, or how overdue the next tick is if that is more (a
   * check that runs right after a stall, before the timer, still sees it).
   */
  get delay(): number {
    if (this.#timer === null) return 0;
    const now = performance.now();
    const recent = now - this.#worstAt <= REMEMBER_MS ? this.#worst : 0;
    return Math.max(recent, now - this.#due, 0);
  }

  #schedule(): void {
    this.#due = performance.now() + this.#interval;
    this.#timer = setTimeout(() => this.#tick(), this.#interval);
    this.#timer.unref();
  }

  #tick(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.#due);
    if (late >= this.#worst || now - this.#worstAt > REMEMBER_MS) {
      this.#worst = late;
      this.#worstAt = now;
    }
    this.#schedule();
  }
}
