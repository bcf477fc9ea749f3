/**
 * A reply deadline for every command on one Redis connection, kept with two
 * counters instead of a timer per command.
 *
 * Redis answers a connection's commands in order, so while any command waits
 * the oldest one must be answered next. If nothing is answered for the whole
 * deadline while commands wait, the connection is stalled, whichever command
 * is stuck: the owner then drops the connection, which fails every command
 * waiting on it at once.
 *
 * (node-redis's own per-command `timeout` allocates an AbortSignal and a timer
 * per command, a measurable share of the pub/sub layer's CPU, and only covers
 * the time until the command is written to the socket.)
 */

/** Quiet checks in a row that make a stall: the deadline is met within one check period. */
const CHECKS_PER_DEADLINE = 4;

/** Watches one connection's outstanding commands; `onStall` runs once when it stalls. */
export class CommandWatchdog {
  readonly #checkMs: number;
  readonly #onStall: () => void;
  #outstanding = 0;
  /** Bumped by every reply and by the first command after an idle spell. */
  #progress = 0;
  #progressSeen = 0;
  #quietChecks = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  /**
   * @param deadlineMs a stall is reported between `deadlineMs` and 1.25 × `deadlineMs`
   *   after the last reply (or after the first command of a busy spell)
   * @param onStall called once, from a timer
   */
  constructor(deadlineMs: number, onStall: () => void) {
    this.#checkMs = Math.max(1, deadlineMs / CHECKS_PER_DEADLINE);
    this.#onStall = onStall;
  }

  /** Commands sent and not answered yet. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** A command was sent: call `settled()` exactly once when it resolves or rejects. */
  sent(): void {
    if (this.#outstanding++ > 0) return;
    this.#progress++;
    if (this.#timer === undefined && !this.#stopped) {
      this.#progressSeen = this.#progress;
      this.#quietChecks = 0;
      this.#timer = setInterval(this.#check, this.#checkMs);
      this.#timer.unref();
    }
  }

  /** A command got its reply (or failed). */
  settled(): void {
    this.#outstanding--;
    this.#progress++;
  }

  /** Stop watching (the connection is closed). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  readonly #check = (): void => {
    if (this.#outstanding === 0) {
      // Idle: no timer until the next command.
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#progress !== this.#progressSeen) {
      this.#progressSeen = this.#progress;
      this.#quietChecks = 0;
      return;
    }
    if (++this.#quietChecks < CHECKS_PER_DEADLINE) return;
    this.stop();
    this.#onStall();
  };
}
