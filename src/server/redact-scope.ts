/**
 * What the server hands to `onError` (and so to logs): a copy of the scope
 * without credentials. The token middleware strips its token only from the
 * scope it passes inward; the server's own scope still carries the raw
 * request, so every copy that leaves for a hook or a log goes through here.
 * The rules themselves (which names, headers and subprotocol entries are
 * secret) live in one place, logging/redact.ts, shared with the log lines.
 */
import { shareScopeLogger } from './log-fields';
import { REDACTED, redactHeaders, redactQueryString, redactSubprotocols } from '../logging/redact';
import type { Scope } from '../application';

export { REDACTED };

/**
 * A copy of `scope` safe to log: credential headers (Authorization,
 * Proxy-Authorization, Cookie, ...), credential query parameters (token,
 * access_token, and those a TokenAuthMiddleware is configured with) and the
 * subprotocol entry after a token marker (`bearer`) replaced by `***`;
 * `cookies` and `session` replaced whole.
 */
export function redactScope<S extends Scope | null>(scope: S): S {
  if (scope === null || typeof scope !== 'object') return scope;
  const copy = { ...scope } as Record<string, unknown>;
  if (typeof copy.queryString === 'string') copy.queryString = redactQueryString(copy.queryString);
  if (Array.isArray(copy.subprotocols)) copy.subprotocols = redactSubprotocols(copy.subprotocols as string[]);
  const headers = copy.headers as Record<string, string> | undefined;
  if (headers !== null && typeof headers === 'object') copy.headers = redactHeaders(headers);
  if ('cookies' in copy) copy.cookies = REDACTED;
  if ('session' in copy) copy.session = REDACTED;
  shareScopeLogger(scope, copy);
  return copy as S;
}
