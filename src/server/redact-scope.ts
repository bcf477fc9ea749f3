/**
 * What the server hands to `onError` (and so to logs): a copy of the scope
 * without credentials. The token middleware strips its token only from the
 * scope it passes inward; the server's own scope still carries the raw
 * request, so every copy that leaves for a hook or a log goes through here.
 */
import { shareScopeLogger } from './log-fields';
import type { Scope } from '../application';
import { redactTokenNames, secretParams, tokenMarkers } from '../logging/token-names';

/** What replaces a credential. */
export const REDACTED = '[redacted]';

// Headers that carry credentials as a whole.
const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie']);
// Query parameters and subprotocol markers that carry tokens: see token-names.ts.
export { redactTokenNames };

function decodeName(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

function redactQuery(query: string): string {
  if (query === '') return query;
  let changed = false;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    if (eq !== -1 && secretParams.has(decodeName(name))) {
      parts[i] = `${name}=${REDACTED}`;
      changed = true;
    }
  }
  return changed ? parts.join('&') : query;
}

function redactSubprotocols(list: readonly string[]): string[] {
  return list.map((entry, i) => (i > 0 && tokenMarkers.has(list[i - 1] as string) ? REDACTED : entry));
}

/**
 * A copy of `scope` safe to log: Authorization, Proxy-Authorization and
 * Cookie headers, token query parameters and the subprotocol entry after a
 * token marker (`bearer`) replaced by `[redacted]`.
 */
export function redactScope<S extends Scope | null>(scope: S): S {
  if (scope === null || typeof scope !== 'object') return scope;
  const copy = { ...scope } as Record<string, unknown>;
  if (typeof copy.queryString === 'string') copy.queryString = redactQuery(copy.queryString);
  if (Array.isArray(copy.subprotocols)) copy.subprotocols = redactSubprotocols(copy.subprotocols as string[]);
  const headers = copy.headers as Record<string, string> | undefined;
  if (headers !== null && typeof headers === 'object') {
    const clean: Record<string, string> = {};
    for (const name of Object.keys(headers)) {
      const value = headers[name] as string;
      if (SECRET_HEADERS.has(name)) clean[name] = REDACTED;
      else if (name === 'sec-websocket-protocol') clean[name] = redactSubprotocols(value.split(',').map((s) => s.trim())).join(', ');
      else clean[name] = value;
    }
    copy.headers = clean;
  }
  if ('cookies' in copy) copy.cookies = REDACTED;
  if ('session' in copy) copy.session = REDACTED;
  shareScopeLogger(scope, copy);
  return copy as S;
}
