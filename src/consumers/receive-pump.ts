/**
 * The edge adapter for a client source that can only be pulled: a `receive()`
 * wrapped by a middleware (RateLimitMiddleware, a user's own) or written by a
 * custom application. It reads in a loop and pushes each event to the
 * consumer through the same delivery function the server's inbox calls, so
 * the consumer has one way in whatever feeds it.
 *
 * Why the bound: the server pauses a flooding client once
 * `maxQueuedMessages` events wait in ITS inbox. A pump that read every event
 * at once would keep that inbox empty, so the client was never paused and
 * the consumer's queue grew without limit. The pump stops reading while
 * `bound` client events it delivered are not handled yet, leaving the surplus
 * in the server's inbox, where the pause applies: one backpressure mechanism,
 * with the pull-only source adapted here instead of a second limit in the server.
 */
import { isProtocolEvent, type Event, type Receive } from '../application';
import type { EventDelivery } from '../inbox';

/** What a consumer holds of its client source: told as each client event is handled, and when the consumer ends. */
export interface ClientFeed {
  /** One client event (of a protocol type) was handled. */
  consumed(): void;
  /** The consumer ended: deliver nothing more. */
  detach(): void;
}

/** Called with the pump's target when its `receive()` rejects; the pump stops. */
export type ReceiveFailure<T> = (target: T, error: unknown) => void;

export class ReceivePump<T> implements ClientFeed {
  readonly #receive: Receive;
  readonly #deliver: EventDelivery<Event, T>;
  readonly #failed: ReceiveFailure<T>;
  readonly #target: T;
  readonly #bound: number;
  /** Client events delivered and not yet reported handled. */
  #unhandled = 0;
  #wake: (() => void) | null = null;
  #detached = false;

  /** Starts reading at once (the first `receive()` is called synchronously). */
  constructor(receive: Receive, deliver: EventDelivery<Event, T>, failed: ReceiveFailure<T>, target: T, bound: number) {
    this.#receive = receive;
    this.#deliver = deliver;
    this.#failed = failed;
    this.#target = target;
    this.#bound = Math.max(1, bound);
    void this.#run();
  }

  consumed(): void {
    if (this.#unhandled > 0) this.#unhandled--;
    if (this.#unhandled < this.#bound) this.#release();
  }

  detach(): void {
    this.#detached = true;
    this.#release();
  }

  #release(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#detached) {
      if (this.#unhandled >= this.#bound) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      let event: Event;
      try {
        event = await this.#receive();
      } catch (error) {
        if (!this.#detached) this.#failed(this.#target, error);
        return;
      }
      if (this.#detached) return;
      // Counted as the consumer reports them handled: by protocol type (a worker's receive yields layer messages).
      if (isProtocolEvent(event.type)) this.#unhandled++;
      this.#deliver(this.#target, event);
      // Nothing follows a disconnect: the source is done.
      if (event.type === 'websocket.disconnect' || event.type === 'http.disconnect') return;
    }
  }
}
