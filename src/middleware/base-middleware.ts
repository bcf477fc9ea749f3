/**
 * The base of every middleware: an application that copies the scope, adds
 * keys, and calls the application it wraps.
 */
import type { Application, Receive, Scope, Send } from '../application';
import { InvalidOption } from '../errors';

/** Keys a middleware adds to the scope. */
export type ScopeAdditions = Record<string, unknown>;

/**
 * Subclass to write a middleware: override `extendScope` to add keys, or
 * `call` to also wrap `receive`/`send`. An instance is shared by every
 * connection, so it must keep no per-connection state on `this`; anything
 * per connection lives in `call`'s locals or in the copied scope.
 *
 * @example
 * class TenantMiddleware extends BaseMiddleware {
 *   protected override extendScope(scope: Scope) {
 *     const host = 'headers' in scope ? scope.headers.host : undefined;
 *     return { tenant: host?.split('.')[0] ?? null };
 *   }
 * }
 * const app = TenantMiddleware.wrap(router); // or new TenantMiddleware(router).asApp()
 */
export abstract class BaseMiddleware {
  /** The application this middleware calls with the extended scope. */
  readonly inner: Application;
  #app: Application | undefined;

  /** The name error messages use (default: the class name). */
  static displayName?: string;

  constructor(inner: Application) {
    if (typeof inner !== 'function') {
      throw new InvalidOption(
        `${new.target.displayName ?? new.target.name} needs the application it wraps as its first argument, ` +
          `a function (scope, receive, send) => Promise<void>; got ${inner === null ? 'null' : typeof inner}`,
      );
    }
    this.inner = inner;
  }

  /** Wrap `inner` and return the middleware as an Application (`new this(inner, ...rest).asApp()`). */
  static wrap<A extends unknown[]>(
    this: new (inner: Application, ...rest: A) => BaseMiddleware,
    inner: Application,
    ...rest: A
  ): Application {
    return new this(inner, ...rest).asApp();
  }

  /**
   * The keys this middleware adds to the scope (sync or async). The default
   * adds none. Throw a catalogue error (AuthenticationFailed, OriginRejected,
   * DenyConnection) to refuse a handshake before the inner application runs.
   */
  protected extendScope(scope: Scope): ScopeAdditions | Promise<ScopeAdditions> {
    return {};
  }

  /** Handle one connection: copy the scope with the added keys and call `inner`. */
  call(scope: Scope, receive: Receive, send: Send): Promise<void> {
    // Not `async`: an async call would hold one more pending promise (and its resolvers) per
    // connection for the connection's whole life; with a synchronous extendScope the inner
    // application's promise is returned as is.
    try {
      const added = this.extendScope(scope);
      if (isThenable(added)) return Promise.resolve(added).then((keys) => this.inner(extended(scope, keys), receive, send));
      return Promise.resolve(this.inner(extended(scope, added), receive, send));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** This middleware as an Application (the same function on every call). */
  asApp(): Application {
    return (this.#app ??= (scope, receive, send) => this.call(scope, receive, send));
  }
}

function isThenable(value: unknown): value is PromiseLike<ScopeAdditions> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function extended(scope: Scope, added: ScopeAdditions): Scope {
  // Object.assign, not spread: see the note in routing/url-router.ts (one hidden class per copy).
  return Object.assign({}, scope, added) as Scope;
}

/** The scope's headers, or an empty record for scopes without headers (channel scopes). */
export function headersOf(scope: Scope): Readonly<Record<string, string>> {
  const headers = (scope as { headers?: Readonly<Record<string, string>> }).headers;
  return headers ?? EMPTY_HEADERS;
}

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
