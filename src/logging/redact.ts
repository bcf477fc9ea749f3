/**
 * Redaction applied before anything reaches a log line: URL passwords, query
 * parameters and headers that carry credentials, the token entry of a
 * `bearer, <token>` subprotocol offer, and JWT-shaped strings in free text.
 * Logs travel to places tokens must not (aggregators, tickets, screenshots).
 */

/** What a redacted value is replaced with. */
export const REDACTED = '***';

/** Query parameter and field names whose values are credentials. */
const SECRET_NAME = /token|auth|jwt|passw|pwd|secret|api[-_]?key|signature|^sig$|session|cookie|credential/i;
/** Headers that carry credentials. */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
/** Three base64url segments starting like a JSON header: a JWT. */
const JWT = /\beyJ[\w-]*\.[\w-]*\.[\w-]*/g;
/** `Bearer <token>` in free text (an Authorization value quoted in a message). */
const BEARER_TEXT = /\b(bearer)\s+[^\s,;"']+/gi;
/** `name=value` pairs of a query string or cookie list inside free text. */
const SECRET_PAIR = /([?&;\s]|^)([\w.-]*(?:token|auth|jwt|passw|pwd|secret|api[-_]?key|session|credential)[\w.-]*)=([^&\s;"']*)/gi;

// Names a TokenAuthMiddleware is configured with, beyond the patterns above: process-wide
// configuration (a token parameter called `t` must be redacted wherever it appears), not
// per-connection state.
const extraSecretNames = new Set<string>();
const tokenMarkers = new Set<string>(['bearer']);

/**
 * Also treat query parameter `param` as a credential, and the subprotocol
 * entry after `marker` as a token (TokenAuthMiddleware calls this with its
 * configured names).
 */
export function redactTokenNames(param: string | false, marker: string | false): void {
  if (param !== false) extraSecretNames.add(param);
  if (marker !== false) tokenMarkers.add(marker.toLowerCase());
}

/** True when a field, header or parameter called `name` holds a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || SECRET_NAME.test(name) || extraSecretNames.has(name);
}

/**
 * A query string with credential parameters' values replaced
 * (`room=1&token=abc` becomes `room=1&token=***`).
 */
export function redactQueryString(query: string): string {
  if (query === '') return query;
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq === -1) return part;
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // Undecodable: judge the raw name.
      }
      return isSecretName(name) ? `${part.slice(0, eq)}=${REDACTED}` : part;
    })
    .join('&');
}

/**
 * A URL safe to print: the password (and a username used alone as a
 * credential, as in `redis://:secret@host`) and credential query parameters
 * replaced by `***`.
 *
 * @example
 * redactUrl('redis://user:secret@cache:6379/0'); // 'redis://user:***@cache:6379/0'
 * redactUrl('/ws/chat/?token=eyJ...');          // '/ws/chat/?token=***'
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not an absolute URL: a path with a query, or something else; still never print a credential.
    const question = text.indexOf('?');
    const head = question === -1 ? text : text.slice(0, question);
    const tail = question === -1 ? '' : `?${redactQueryString(text.slice(question + 1))}`;
    return head.replace(/\/\/([^/@]*):[^/@]*@/, '//$1:***@') + tail;
  }
  if (url.password !== '') url.password = REDACTED;
  if (url.search !== '') {
    // Rebuilt by hand: URLSearchParams would re-encode every other parameter.
    const query = redactQueryString(url.search.slice(1));
    const href = url.href;
    const at = href.indexOf('?');
    const hash = url.hash;
    return `${href.slice(0, at)}?${query}${hash}`;
  }
  return url.href;
}

/**
 * Offered subprotocols with the token of a `bearer, <token>` offer (or after
 * another configured marker), and any JWT-shaped entry, replaced.
 */
export function redactSubprotocols(offered: readonly string[]): string[] {
  return offered.map((name, i) => {
    if (i > 0 && tokenMarkers.has(offered[i - 1]!.toLowerCase())) return REDACTED;
    return name.replace(JWT, REDACTED);
  });
}

/** A header map with credential headers replaced and a token in Sec-WebSocket-Protocol removed. */
export function redactHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    const lower = name.toLowerCase();
    if (SECRET_HEADERS.has(lower)) out[name] = REDACTED;
    else if (lower === 'sec-websocket-protocol') out[name] = redactSubprotocols(text.split(',').map((s) => s.trim())).join(', ');
    else out[name] = redactText(text);
  }
  return out;
}

/** Free text with JWTs, `Bearer <token>` and `token=...`-style pairs replaced. */
export function redactText(text: string): string {
  if (text.length === 0) return text;
  return text
    .replace(JWT, REDACTED)
    .replace(BEARER_TEXT, `$1 ${REDACTED}`)
    .replace(SECRET_PAIR, (_match, lead: string, name: string) => `${lead}${name}=${REDACTED}`)
    .replace(/\/\/([^/@\s]*):[^/@\s]*@/g, '//$1:***@');
}

/** How deep `redactFields` descends; deeper values are summarized. */
const MAX_DEPTH = 5;

/**
 * A copy of log fields safe to write: credential-named keys replaced, strings
 * scrubbed with `redactText`, errors turned into `{ type, message, code, stack }`.
 * Cycles and deep nesting are cut off, so any object can be logged.
 */
export function redactFields(value: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : typeof value === 'function' ? `[function ${value.name || 'anonymous'}]` : value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[array]' : '[object]';
  seen.add(value);
  try {
    if (value instanceof Error) return serializeError(value, depth, seen);
    if (Array.isArray(value)) return value.map((item) => redactFields(item, depth + 1, seen));
    if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSecretName(key) && inner !== undefined && inner !== null && typeof inner !== 'boolean' ? REDACTED : redactFields(inner, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function serializeError(error: Error, depth: number, seen: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: redactText(error.message) };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (typeof error.stack === 'string') out.stack = redactText(error.stack);
  if (error.cause !== undefined) out.cause = redactFields(error.cause, depth + 1, seen);
  return out;
}
