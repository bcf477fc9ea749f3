/**
 * Scope construction for communicators: the same path, query and header
 * normalisation the real server applies, so a test sees what production sees.
 */
import type { ConnectionScope } from '../application';

/** Headers as a record or as `[name, value]` pairs (pairs may repeat a name). */
export type HeadersInit = Record<string, string> | ReadonlyArray<readonly [string, string]>;

/** Lower-cases names; joins repeated headers with `, ` (cookies with `; `). */
export function normalizeHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [rawName, value] of pairs as Array<readonly [string, string]>) {
    const name = rawName.toLowerCase();
    const prior = out[name];
    out[name] = prior === undefined ? String(value) : `${prior}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** The parts of a request target: decoded path, raw (encoded) path and query string. */
export interface SplitPath {
  path: string;
  rawPath: string;
  queryString: string;
}

// Characters allowed unescaped in a path (RFC 3986 pchar plus `/` and `%`).
const NEEDS_ENCODING = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu;

/**
 * Splits `target` at `?`; `rawPath` is percent-encoded (characters that need it
 * are encoded, existing escapes kept), `path` is its decoded form.
 */
export function splitPath(target: string): SplitPath {
  const q = target.indexOf('?');
  const pathPart = q === -1 ? target : target.slice(0, q);
  const queryString = q === -1 ? '' : target.slice(q + 1);
  const rawPath = pathPart.replace(NEEDS_ENCODING, (c) => encodeURIComponent(c));
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // The server refuses such a target (400) before any application runs; a test still gets a scope.
    path = pathPart;
  }
  return { path, rawPath, queryString };
}

/**
 * The fields every communicator scope shares: the split request target, the
 * normalised headers, and loopback client and server addresses.
 */
export function connectionScopeFields(
  target: string,
  headers: HeadersInit | undefined,
): Pick<ConnectionScope, 'path' | 'rawPath' | 'queryString' | 'rootPath' | 'headers' | 'client' | 'server'> {
  return {
    ...splitPath(target),
    rootPath: '',
    headers: normalizeHeaders(headers),
    client: { host: '127.0.0.1', port: 0 },
    server: { host: '127.0.0.1', port: 80 },
  };
}
