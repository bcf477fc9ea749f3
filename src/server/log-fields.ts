/**
 * What the server puts in a log line about a request or connection: enough
 * to find it (path, client address, origin), never a credential (no cookies,
 * no Authorization, query tokens and a `bearer, <token>` offer redacted).
 */
import type { Scope } from '../application';
import type { Logger } from '../logging/logger';
import { redactQueryString, redactSubprotocols } from '../logging/redact';

/** A scope reduced to what an error line needs. */
export function scopeSummary(scope: Scope): Record<string, unknown> {
  const s = scope as { type?: unknown; path?: unknown; queryString?: unknown; client?: { host: string; port: number } | null };
  const out: Record<string, unknown> = { type: s.type };
  if (typeof s.path === 'string') out.path = s.path;
  if (typeof s.queryString === 'string' && s.queryString !== '') out.query = redactQueryString(s.queryString);
  if (s.client) out.client = `${s.client.host}:${s.client.port}`;
  return out;
}

/** A WebSocket handshake's scope reduced to what a refusal line needs. */
export function handshakeSummary(scope: Scope): Record<string, unknown> {
  const out = scopeSummary(scope);
  const headers = (scope as { headers?: Record<string, string> }).headers;
  if (headers?.origin !== undefined) out.origin = headers.origin;
  const offered = (scope as { subprotocols?: unknown }).subprotocols;
  if (Array.isArray(offered) && offered.length > 0) out.subprotocols = redactSubprotocols(offered as string[]);
  return out;
}

let nextId = 0;
// Keyed by the scope, so the refusal line and the onError line of one
// connection share an id. Assigned on the first log line, not at accept: a
// connection that never logs costs nothing (the server counts idle bytes).
const scopeLoggers = new WeakMap<object, Logger>();

/**
 * The child logger of one connection (`{ conn: <id> }`) or HTTP request
 * (`{ req: <id> }`), made on its first log line and kept for its life.
 */
/** Redacted copies of a scope, mapped to the scope they were made from. */
const originals = new WeakMap<object, object>();

/** A redacted copy of a scope logs under the same connection id as the original, whichever logs first. */
export function shareScopeLogger(from: object, to: object): void {
  originals.set(to, originals.get(from) ?? from);
}

export function scopeLogger(base: Logger, scope: Scope): Logger {
  const key = originals.get(scope) ?? scope;
  let child = scopeLoggers.get(key);
  if (child === undefined) {
    child = base.child(scope.type === 'http' ? { req: ++nextId } : { conn: ++nextId });
    scopeLoggers.set(key, child);
  }
  return child;
}
