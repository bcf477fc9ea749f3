/**
 * CookieMiddleware: parses the Cookie request header into `scope.cookies`.
 */
import { parse } from 'cookie';
import type { Application, Scope } from '../application';
import { BaseMiddleware, headersOf, type ScopeAdditions } from './base-middleware';

/** Parse a Cookie header into a name -> decoded value record (first occurrence of a name wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  if (!header) return {};
  // `cookie.parse` returns a null-prototype object, so a cookie named
  // `__proto__` is just a key; copy into one we control for the same reason.
  const parsed = parse(header);
  const out: Record<string, string> = Object.create(null);
  for (const name of Object.keys(parsed)) {
    const value = parsed[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

class CookieMiddlewareImpl extends BaseMiddleware {
  static override displayName = 'CookieMiddleware';
  protected override extendScope(scope: Scope): ScopeAdditions {
    return { cookies: parseCookies(headersOf(scope).cookie) };
  }
}

/**
 * Adds `scope.cookies`: the request's cookies, decoded, by name (empty when
 * there is no Cookie header). Works for websocket and http scopes.
 *
 * @example
 * const app = CookieMiddleware(async (scope, receive, send) => {
 *   console.log(scope.cookies?.theme);
 * });
 */
export function CookieMiddleware(inner: Application): Application {
  return new CookieMiddlewareImpl(inner).asApp();
}
