/**
 * SessionMiddleware: loads the express-session session named by the signed
 * session cookie into `scope.session`.
 */
import { randomBytes } from 'node:crypto';
import { unsign } from 'cookie-signature';
import type { Application, Scope } from '../application';
import { InvalidOption, MiddlewareOrderError } from '../errors';
import { BaseMiddleware, type ScopeAdditions } from './base-middleware';
import { Session, loadStoredSession, type SessionStore } from './scope-session';

/** Options of SessionMiddleware; the same meaning as express-session's. */
export interface SessionMiddlewareOptions {
  /** The store the express app's `session({ store })` uses (e.g. its MemoryStore, a connect-redis store). */
  store: SessionStore;
  /** The secret(s) express-session signs with; any of them verifies a cookie (the first is the current one). */
  secret: string | string[];
  /** Cookie name. Default `connect.sid`, express-session's default. */
  name?: string;
}

/**
 * The session id in a cookie value signed the express-session way
 * (`s:` + id + `.` + HMAC), or `undefined` when it is unsigned or no secret verifies it.
 */
export function unsignSessionCookie(raw: string | undefined, secrets: readonly string[]): string | undefined {
  if (!raw || !raw.startsWith('s:')) return undefined;
  const signed = raw.slice(2);
  for (const secret of secrets) {
    const id = unsign(signed, secret);
    if (id !== false) return id;
  }
  return undefined;
}

class SessionMiddlewareImpl extends BaseMiddleware {
  static override displayName = 'SessionMiddleware';
  readonly #store: SessionStore;
  readonly #secrets: readonly string[];
  readonly #name: string;

  constructor(inner: Application, options: SessionMiddlewareOptions) {
    super(inner);
    const { store, secret, name = 'connect.sid' } = options ?? ({} as SessionMiddlewareOptions);
    if (!store || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.destroy !== 'function') {
      throw new InvalidOption(
        'SessionMiddleware: options.store must be an express-session store (with get, set and destroy), ' +
          'the same one the express app passes to session({ store })',
      );
    }
    const secrets = typeof secret === 'string' ? [secret] : secret;
    if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s === '')) {
      throw new InvalidOption(
        'SessionMiddleware: options.secret must be the non-empty string (or array of strings) the express app passes to session({ secret })',
      );
    }
    if (typeof name !== 'string' || name === '') {
      throw new InvalidOption('SessionMiddleware: options.name must be the session cookie name (default "connect.sid")');
    }
    this.#store = store;
    this.#secrets = [...secrets];
    this.#name = name;
  }

  protected override async extendScope(scope: Scope): Promise<ScopeAdditions> {
    const cookies = scope.cookies as Record<string, string> | undefined;
    if (!cookies || typeof cookies !== 'object') {
      throw new MiddlewareOrderError('SessionMiddleware', 'CookieMiddleware', 'cookies');
    }
    const id = unsignSessionCookie(cookies[this.#name], this.#secrets);
    if (id !== undefined) {
      const data = await loadStoredSession(this.#store, id, Date.now());
      if (data) return { session: new Session(this.#store, id, data) };
    }
    // No valid cookie, or the session is gone: a fresh, empty session whose
    // id is new, so a forged or stale id is never adopted.
    return { session: new Session(this.#store, randomBytes(24).toString('base64url'), null) };
  }
}

/**
 * Adds `scope.session`: the express-session session named by the signed
 * session cookie, loaded from the same store, as a `Session` whose `save()`
 * writes back in express-session's format. A missing, unsigned, badly signed
 * or expired cookie gives a new, empty session. Needs CookieMiddleware
 * outside it (MiddlewareOrderError otherwise).
 *
 * @example
 * const store = new session.MemoryStore();
 * expressApp.use(session({ store, secret: 's3cret', resave: false, saveUninitialized: false }));
 * const ws = CookieMiddleware(SessionMiddleware(router, { store, secret: 's3cret' }));
 */
export function SessionMiddleware(inner: Application, options: SessionMiddlewareOptions): Application {
  return new SessionMiddlewareImpl(inner, options).asApp();
}
