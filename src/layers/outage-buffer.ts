/**
 * The opt-in outage buffer: sends refused because the backend is away wait
 * here, bounded, and go out in order once it is back. (A send that was
 * already written when the connection failed is not held: the server may
 * still carry it out, so its sender gets the error.) A send that finds the
 * buffer full gets the LayerUnavailable it would have had without one, so a
 * sender is never silently dropped; what waits longer than `maxAge` is
 * dropped at flush and reported by a `'dropped'` event.
 */
import { InvalidOption, LayerUnavailable } from '../errors';
import { positiveOption } from '../option-checks';
import type { OutageBufferOptions } from './channel-layer';
import type { SealedMessage } from './message';

/** One held send. */
export interface HeldSend {
  kind: 'send' | 'group';
  /** Channel or group. */
  name: string;
  sealed: SealedMessage;
  heldAt: number;
}

/** What the buffer needs from its layer. */
export interface OutageBufferHost {
  now(): number;
  /** Send one held entry for real. */
  deliver(entry: HeldSend): Promise<unknown>;
  /** Report an entry given up on (too old, or refused when sent). */
  dropped(entry: HeldSend, reason: string): void;
}

/** A bounded, ordered buffer of sends made during an outage. */
export class OutageBuffer {
  readonly size: number;
  readonly maxAgeMs: number;
  readonly #host: OutageBufferHost;
  #held: HeldSend[] = [];
  #flushing: Promise<void> | null = null;

  constructor(options: OutageBufferOptions, defaultMaxAge: number, host: OutageBufferHost) {
    if (options === null || typeof options !== 'object') throw new InvalidOption('outageBuffer must be an object {size, maxAge?}');
    if (typeof options.size !== 'number' || !Number.isSafeInteger(options.size) || options.size < 1) {
      throw new InvalidOption(`outageBuffer.size must be a whole number of sends >= 1, got ${String(options.size)}`);
    }
    this.size = options.size;
    this.maxAgeMs = positiveOption(options.maxAge, 'outageBuffer.maxAge', 'seconds', defaultMaxAge) * 1000;
    this.#host = host;
  }

  /** Sends waiting. */
  get pending(): number {
    return this.#held.length;
  }

  /**
   * Run `attempt`, holding the send instead when the backend is away (or
   * when earlier sends still wait, to keep their order). Resolves true when
   * held; rethrows the LayerUnavailable when the buffer is full.
   */
  async run(entry: Omit<HeldSend, 'heldAt'>, attempt: () => Promise<void>): Promise<boolean> {
    if (this.#held.length === 0) {
      try {
        await attempt();
        return false;
      } catch (error) {
        // A send that was written before the connection failed may still be carried out: holding it could send it twice.
        if (!(error instanceof LayerUnavailable) || error.inFlight) throw error;
        return this.#hold(entry, error);
      }
    }
    return this.#hold(entry, new LayerUnavailable('earlier sends still wait for the channel layer to come back'));
  }

  #hold(entry: Omit<HeldSend, 'heldAt'>, error: LayerUnavailable): true {
    if (this.#held.length >= this.size) {
      throw new LayerUnavailable(`${error.message} (outage buffer full: ${this.size} sends wait)`, { cause: error });
    }
    this.#held.push({ ...entry, heldAt: this.#host.now() });
    return true;
  }

  /** Send what waits, in order; stops (keeping the rest) if the backend is away again. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    while (this.#held.length > 0) {
      const entry = this.#held[0]!;
      if (this.#host.now() - entry.heldAt > this.maxAgeMs) {
        this.#held.shift();
        this.#host.dropped(entry, 'held longer than outageBuffer.maxAge during an outage');
        continue;
      }
      try {
        await this.#host.deliver(entry);
      } catch (error) {
        if (error instanceof LayerUnavailable) return;
        this.#host.dropped(entry, `sending a held message failed: ${(error as Error).message}`);
      }
      this.#held.shift();
    }
  }

  /** Forget every held send (flush/close of the layer). */
  clear(): void {
    this.#held = [];
  }
}
