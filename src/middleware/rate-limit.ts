/**
 * RateLimitMiddleware: a per-connection token bucket over incoming frames.
 */
import { performance } from 'node:perf_hooks';
import type { Application, Event, Receive, Scope, Send } from '../application';
import { InvalidOption, RateLimited } from '../errors';
import { instrumentation } from '../metrics/instrumentation';
import { positiveOption } from '../option-checks';
import { BaseMiddleware } from './base-middleware';
import { EventQueue, filterInbox } from '../inbox';

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

/** What every connection of one middleware shares. */
interface Limits {
  rate: number;
  burst: number;
  closeMode: boolean;
  errorInterval: number;
  now: () => number;
}

class RateLimitMiddlewareImpl extends BaseMiddleware {
  static override displayName = 'RateLimitMiddleware';
  readonly #limits: Limits;

  constructor(inner: Application, options: RateLimitOptions) {
    super(inner);
    const o = options ?? ({} as RateLimitOptions);
    const rate = positiveOption(o.messagesPerSecond, 'RateLimitMiddleware: options.messagesPerSecond');
    const burst = o.burst === undefined ? Math.max(1, rate) : positiveOption(o.burst, 'RateLimitMiddleware: options.burst');
    if (burst < 1) throw new InvalidOption('RateLimitMiddleware: options.burst must be at least 1');
    const onLimit = o.onLimit ?? 'close';
    if (onLimit !== 'close' && onLimit !== 'error-frame') {
      throw new InvalidOption(`RateLimitMiddleware: options.onLimit must be "close" or "error-frame", got ${JSON.stringify(onLimit)}`);
    }
    this.#limits = {
      rate,
      burst,
      closeMode: onLimit === 'close',
      errorInterval: o.errorFrameIntervalMs === undefined ? 1000 : Math.max(0, Number(o.errorFrameIntervalMs)),
      now: o.now ?? (() => performance.now()),
    };
  }

  override call(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type !== 'websocket') return this.inner(scope, receive, send);
    // Per-connection state lives in this call, never on the shared instance.
    const state = new LimitState(this.#limits, send);
    // Filtered by push when the server's inbox is behind `receive`: a consumer
    // inside keeps taking its events by push (idle memory per connection).
    const limitedReceive = filterInbox(receive, limit, state) ?? pulledThrough(receive, state);
    // A bound method, not a closure: see WebsocketConnection's constructor (idle memory per connection).
    return this.inner(scope, limitedReceive as Receive, state.limitedSend.bind(state));
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
const ignore = (): void => {};

/** One connection's limiter: its bucket, and what it shares with the middleware's other connections. */
class LimitState {
  readonly limits: Limits;
  /**
   * Made at the first frame: a bucket is full until then either way, and an idle
   * connection then holds no bucket and no timestamps (about 70 B, v8 heap, Node 20).
   */
  bucket: TokenBucket | null = null;
  lastErrorFrame: number | null = null;
  /** The limiter closed the connection: everything after passes through (the inner app has had its disconnect). */
  closed = false;
  readonly send: Send;

  constructor(limits: Limits, send: Send) {
    this.limits = limits;
    this.send = send;
  }

  /** The inner application's `send` (bound to this state). */
  limitedSend(event: Event): Promise<void> {
    // After the limiter closed the socket the inner app may still try to
    // send (its disconnect handler runs); there is nobody to send to.
    if (this.closed) return RESOLVED;
    return this.send(event);
  }
}

/**
 * The limit, as an inbox filter: frames within the budget pass; over it the
 * connection is closed (the inner app gets a 1008 disconnect at once and
 * nothing after it) or the frame is dropped with a throttled error frame.
 */
function limit(state: LimitState, event: Event, inner: EventQueue<Event>): boolean {
  if (state.closed || event.type !== 'websocket.receive') {
    inner.push(event);
    return true;
  }
  const t = state.limits.now();
  if ((state.bucket ??= new TokenBucket(state.limits.rate, state.limits.burst, t)).take(t)) {
    inner.push(event);
    return true;
  }
  if (state.limits.closeMode) {
    instrumentation.rateLimitHits.close++;
    state.closed = true;
    const error = new RateLimited();
    // Finished first: the server's own disconnect, which the close below
    // triggers at once, is then ignored instead of reaching the app twice.
    inner.finish({ type: 'websocket.disconnect', code: error.closeCode, reason: error.message });
    // An open connection's close cannot fail; once it is gone there is nobody to tell.
    state.send({ type: 'websocket.close', code: error.closeCode, reason: error.message }).then(ignore, ignore);
    return true;
  }
  instrumentation.rateLimitHits.errorFrame++;
  if (state.lastErrorFrame === null || t - state.lastErrorFrame >= state.limits.errorInterval) {
    state.lastErrorFrame = t;
    state.send({ type: 'websocket.send', text: RATE_LIMITED_FRAME }).then(ignore, ignore);
  }
  return false;
}

/** The same limit over a `receive` that can only be pulled (another middleware wraps the server's). */
function pulledThrough(receive: Receive, state: LimitState): Receive {
  const inner = new EventQueue<Event>();
  return async () => {
    while (inner.size === 0 && !inner.finished) limit(state, await receive(), inner);
    return inner.next();
  };
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
