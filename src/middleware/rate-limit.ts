/**
 * RateLimitMiddleware: a per-connection token bucket over incoming frames.
 */
import { performance } from 'node:perf_hooks';
import type { Application, Event, Receive, Scope, Send } from '../application';
import { InvalidOption, RateLimited } from '../errors';
import { instrumentation } from '../metrics/instrumentation';
import { positiveOption } from '../option-checks';
import { BaseMiddleware } from './base-middleware';

/** Options of RateLimitMiddleware. */
export interface RateLimitOptions {
  /** Sustained frames per second a connection may send (refill rate). */
  messagesPerSecond: number;
  /** Bucket size: frames a connection may send at once after being idle. Default `messagesPerSecond`. */
  burst?: number;
  /**
   * Over the limit: `close` closes with 1008 (RateLimited) and delivers
   * `websocket.disconnect` to the inner application; `error-frame` drops the
   * frame and sends `{"type":"error","code":"ERR_RATE_LIMITED",...}`, at most
   * one per `errorFrameIntervalMs`. Default `close`.
   */
  onLimit?: 'close' | 'error-frame';
  /** Minimum ms between two error frames of one connection. Default 1000. */
  errorFrameIntervalMs?: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

/** The text of the error frame sent in `error-frame` mode. */
export const RATE_LIMITED_FRAME = JSON.stringify({ type: 'error', code: 'ERR_RATE_LIMITED', detail: 'rate limit exceeded' });

/**
 * A token bucket on a caller-supplied clock: `take(now)` is true when a
 * token was available. Plain arithmetic, no timers.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #perMs: number;
  readonly #capacity: number;

  constructor(perSecond: number, capacity: number, now: number) {
    this.#perMs = perSecond / 1000;
    this.#capacity = capacity;
    this.#tokens = capacity;
    this.#last = now;
  }

  take(now: number): boolean {
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#perMs);
      this.#last = now;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }
}

class RateLimitMiddlewareImpl extends BaseMiddleware {
  static override displayName = 'RateLimitMiddleware';
  readonly #rate: number;
  readonly #burst: number;
  readonly #close: boolean;
  readonly #errorInterval: number;
  readonly #now: () => number;

  constructor(inner: Application, options: RateLimitOptions) {
    super(inner);
    const o = options ?? ({} as RateLimitOptions);
    this.#rate = positiveOption(o.messagesPerSecond, 'RateLimitMiddleware: options.messagesPerSecond');
    this.#burst = o.burst === undefined ? Math.max(1, this.#rate) : positiveOption(o.burst, 'RateLimitMiddleware: options.burst');
    if (this.#burst < 1) throw new InvalidOption('RateLimitMiddleware: options.burst must be at least 1');
    const onLimit = o.onLimit ?? 'close';
    if (onLimit !== 'close' && onLimit !== 'error-frame') {
      throw new InvalidOption(`RateLimitMiddleware: options.onLimit must be "close" or "error-frame", got ${JSON.stringify(onLimit)}`);
    }
    this.#close = onLimit === 'close';
    this.#errorInterval = o.errorFrameIntervalMs === undefined ? 1000 : Math.max(0, Number(o.errorFrameIntervalMs));
    this.#now = o.now ?? (() => performance.now());
  }

  override call(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type !== 'websocket') return this.inner(scope, receive, send);
    // Per-connection state lives in this call, never on the shared instance.
    const now = this.#now;
    const bucket = new TokenBucket(this.#rate, this.#burst, now());
    const closeMode = this.#close;
    const errorInterval = this.#errorInterval;
    let lastErrorFrame = -Infinity;
    let closed = false;

    const limitedSend: Send = (event: Event) => {
      // After the limiter closed the socket the inner app may still try to
      // send (its disconnect handler runs); there is nobody to send to.
      if (closed) return Promise.resolve();
      return send(event);
    };

    const limitedReceive: Receive = async () => {
      for (;;) {
        if (closed) return receive();
        const event = await receive();
        if (event.type !== 'websocket.receive') return event;
        const t = now();
        if (bucket.take(t)) return event;
        if (closeMode) instrumentation.rateLimitHits.close++;
        else instrumentation.rateLimitHits.errorFrame++;
        if (closeMode) {
          closed = true;
          const error = new RateLimited();
          await send({ type: 'websocket.close', code: error.closeCode, reason: error.message });
          return { type: 'websocket.disconnect', code: error.closeCode, reason: error.message };
        }
        if (t - lastErrorFrame >= errorInterval) {
          lastErrorFrame = t;
          await send({ type: 'websocket.send', text: RATE_LIMITED_FRAME });
        }
      }
    };

    return this.inner(scope, limitedReceive, limitedSend);
  }
}

/**
 * Limits how fast each connection may send frames (a token bucket per
 * connection: `burst` at once, `messagesPerSecond` sustained). To limit one
 * route only, wrap that route's application.
 *
 * @example
 * const routes = [
 *   path('ws/chat/<str:room>/', RateLimitMiddleware(ChatConsumer.asApp(), { messagesPerSecond: 5, burst: 20 })),
 *   path('ws/cursor/', RateLimitMiddleware(CursorConsumer.asApp(), { messagesPerSecond: 60, onLimit: 'error-frame' })),
 * ];
 */
export function RateLimitMiddleware(inner: Application, options: RateLimitOptions): Application {
  return new RateLimitMiddlewareImpl(inner, options).asApp();
}
