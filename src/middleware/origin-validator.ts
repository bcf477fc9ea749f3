/**
 * OriginValidator and AllowedHostsOriginValidator: refuse WebSocket handshakes
 * whose Origin is not allowed (cross-site WebSocket hijacking), with Django
 * Channels' matching rules.
 */
import type { Application, Scope } from '../application';
import { InvalidOption, OriginRejected } from '../errors';
import { BaseMiddleware, headersOf, type ScopeAdditions } from './base-middleware';

interface ParsedOrigin {
  scheme: string;
  hostname: string;
  /** Explicit port, or the scheme's default (http/ws 80, https/wss 443), or null. */
  port: number | null;
}

/** One compiled allow-list entry. */
type OriginPattern =
  | { kind: 'any' }
  | { kind: 'host'; host: string }
  | { kind: 'origin'; scheme: string; host: string; port: number | null };

const DEFAULT_PORTS: Record<string, number> = { http: 80, ws: 80, https: 443, wss: 443 };

function effectivePort(url: URL, scheme: string): number | null {
  if (url.port !== '') return Number(url.port);
  return DEFAULT_PORTS[scheme] ?? null;
}

// RFC 6454 serialization as browsers send it: lowercase scheme, `://`, host, and a port only
// when it is not the scheme's default. Anything else (a path, credentials, percent-escapes,
// `https:example.com`, a leading-zero port ...) is something a browser never sends.
const SERIALIZED_ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::([1-9][0-9]{0,4}))?$/;
// Schemes whose origins are opaque (browsers send `null` for them).
const OPAQUE_SCHEMES: ReadonlySet<string> = new Set(['javascript', 'data', 'file', 'blob', 'about', 'filesystem', 'vbscript']);
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
const OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** A host as a browser serializes it: lowercase labels, no empty label (trailing dot), IPv4 only as a dotted quad. */
function isSerializedHost(host: string): boolean {
  if (host.startsWith('[')) {
    // IPv6: only the canonical (compressed, lowercase) form the URL parser produces.
    try {
      return new URL(`http://${host}/`).hostname === host;
    } catch {
      return false;
    }
  }
  if (host.length > 253) return false;
  const labels = host.split('.');
  for (const label of labels) if (label.length > 63 || !LABEL.test(label)) return false;
  // A numeric last label makes the whole host an IPv4 address to a URL parser (127.1, 0x7f.0.0.1, 2130706433):
  // accept only the dotted quad a browser would serialize it as.
  if (NUMERIC_LABEL.test(labels[labels.length - 1] as string)) {
    return labels.length === 4 && labels.every((label) => OCTET.test(label));
  }
  return true;
}

/**
 * Parse an Origin header value; null unless it is a serialized origin
 * exactly as browsers send it (RFC 6454): `scheme://host[:port]`, lowercase,
 * no path or trailing slash, no default port, no trailing dot in the host,
 * an IPv4 address only as a dotted quad, an IPv6 address in its canonical
 * form; `null`, opaque schemes (`javascript:`, `data:`, `file:` ...) and
 * anything else are refused.
 */
export function parseOrigin(value: string | undefined): ParsedOrigin | null {
  if (value === undefined || value.length > 2048) return null;
  const match = SERIALIZED_ORIGIN.exec(value);
  if (match === null) return null;
  const scheme = match[1] as string;
  const host = match[2] as string;
  if (OPAQUE_SCHEMES.has(scheme) || !isSerializedHost(host)) return null;
  const defaultPort = DEFAULT_PORTS[scheme] ?? null;
  if (match[3] === undefined) return { scheme, hostname: host, port: defaultPort };
  const port = Number(match[3]);
  if (port > 65535 || port === defaultPort) return null;
  return { scheme, hostname: host, port };
}

/** Django's is_same_domain: `.example.com` matches example.com and its subdomains; anything else exactly. */
function isSameDomain(host: string, pattern: string): boolean {
  if (pattern === '') return false;
  if (pattern[0] === '.') return host === pattern.slice(1) || host.endsWith(pattern);
  return host === pattern;
}

function compilePattern(raw: unknown, owner: string): OriginPattern {
  if (typeof raw !== 'string' || raw === '') {
    throw new InvalidOption(`${owner}: every allowed origin must be a non-empty string, got ${JSON.stringify(raw)}`);
  }
  if (raw === '*') return { kind: 'any' };
  const pattern = raw.toLowerCase();
  if (!pattern.includes('://')) {
    // Host only: any web scheme (http, https, ws, wss) and any port (as Channels and ALLOWED_HOSTS do).
    let host: string;
    try {
      host = new URL(`http://${pattern}`).hostname;
    } catch {
      host = pattern;
    }
    // URL drops a leading dot in some inputs; keep the subdomain marker.
    if (pattern.startsWith('.') && !host.startsWith('.')) host = `.${host}`;
    return { kind: 'host', host };
  }
  let url: URL;
  try {
    url = new URL(pattern);
  } catch {
    throw new InvalidOption(`${owner}: ${JSON.stringify(raw)} is not an origin; use "https://example.com[:port]", ".example.com" or "*"`);
  }
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash || url.username) {
    throw new InvalidOption(`${owner}: ${JSON.stringify(raw)} is not an origin (scheme://host[:port], no path); use "https://example.com[:port]"`);
  }
  const scheme = url.protocol.slice(0, -1);
  return { kind: 'origin', scheme, host: url.hostname, port: effectivePort(url, scheme) };
}

function matches(origin: ParsedOrigin, pattern: OriginPattern): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'host':
      // Host-only patterns stand for web pages: http(s) and ws(s), any port.
      return DEFAULT_PORTS[origin.scheme] !== undefined && isSameDomain(origin.hostname, pattern.host);
    case 'origin':
      return origin.scheme === pattern.scheme && origin.port === pattern.port && isSameDomain(origin.hostname, pattern.host);
  }
}

/**
 * Compile an allow-list into a predicate over Origin header values:
 * - `*` allows any origin, and is the only entry that admits a missing,
 *   `null` or malformed Origin;
 * - `https://example.com:8443` (with a scheme) must match scheme, host and
 *   port; the pattern's default port may be written or not (http/ws 80,
 *   https/wss 443), but the Origin must be serialized as browsers send it
 *   (see `parseOrigin`): `https://example.com:443` is refused;
 * - `example.com` (no scheme) matches that host with any web scheme
 *   (http, https, ws, wss) and any port;
 * - a host starting with `.` (`.example.com`, `https://.example.com`)
 *   matches the domain and all its subdomains.
 * Hosts compare case-insensitively, IDNs in punycode.
 */
export function originMatcher(allowed: readonly string[], owner = 'OriginValidator'): (origin: string | undefined) => boolean {
  if (!Array.isArray(allowed)) {
    throw new InvalidOption(`${owner}: the allowed origins must be an array such as ["https://example.com", ".example.com"]`);
  }
  const patterns = allowed.map((raw) => compilePattern(raw, owner));
  const anyOrigin = patterns.some((p) => p.kind === 'any');
  return (value) => {
    if (anyOrigin) return true;
    const origin = parseOrigin(value);
    if (origin === null) return false;
    for (const pattern of patterns) if (matches(origin, pattern)) return true;
    return false;
  };
}

class OriginValidatorImpl extends BaseMiddleware {
  static override displayName = 'OriginValidator';
  readonly #allowed: (origin: string | undefined) => boolean;

  constructor(inner: Application, allowed: readonly string[], owner: string) {
    super(inner);
    this.#allowed = originMatcher(allowed, owner);
  }

  protected override extendScope(scope: Scope): ScopeAdditions {
    // Browsers enforce no same-origin policy on WebSockets, so the handshake
    // is where a page from another site must be stopped. HTTP requests have
    // CORS and CSRF protection for that, and normal navigations carry no
    // Origin, so they pass through unchecked.
    if (scope.type !== 'websocket') return {};
    const origin = headersOf(scope).origin;
    if (!this.#allowed(origin)) throw new OriginRejected(origin);
    return {};
  }
}

/**
 * Refuses a WebSocket handshake with 403 (OriginRejected) unless its Origin
 * header matches `allowed` (rules in `originMatcher`). Put it outermost, so a
 * forged origin costs no session lookup. Non-websocket scopes pass through.
 *
 * @example
 * const app = OriginValidator(AuthMiddlewareStack(router, { store, secret }), [
 *   'https://chat.example.com',
 *   'http://localhost:5173',
 *   '.example.org',
 * ]);
 */
export function OriginValidator(inner: Application, allowed: readonly string[]): Application {
  return new OriginValidatorImpl(inner, allowed, 'OriginValidator').asApp();
}

/** Hosts AllowedHostsOriginValidator allows when none are given: local development only. */
export const DEV_ALLOWED_HOSTS: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/**
 * OriginValidator fed with the server's allowed host names (Django's
 * ALLOWED_HOSTS): `example.com`, `.example.com` (and subdomains) or `*`;
 * any web scheme (http, https, ws, wss) and port. Without hosts it allows only localhost, 127.0.0.1 and
 * [::1], which suits development and refuses everything else.
 *
 * @example
 * const app = AllowedHostsOriginValidator(router, ['chat.example.com', '.example.org']);
 */
export function AllowedHostsOriginValidator(inner: Application, allowedHosts: readonly string[] = DEV_ALLOWED_HOSTS): Application {
  const hosts = allowedHosts.length === 0 ? DEV_ALLOWED_HOSTS : allowedHosts;
  for (const host of hosts) {
    if (typeof host !== 'string' || host.includes('://') || host.includes('/')) {
      throw new InvalidOption(
        `AllowedHostsOriginValidator: ${JSON.stringify(host)} is not a host name; give hosts such as "example.com", ` +
          `".example.com" or "*" (use OriginValidator for scheme://host:port origins)`,
      );
    }
  }
  return new OriginValidatorImpl(inner, hosts, 'AllowedHostsOriginValidator').asApp();
}
