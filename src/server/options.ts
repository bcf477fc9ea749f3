/**
 * Server options, their defaults, and the one place they are checked.
 * docs/server.md carries the same table; keep them in step.
 */
import type { Scope } from '../application';
import { InvalidOption } from '../errors';
import type { DashboardOptions } from '../dashboard/dashboard';
import type { MetricsOptions } from '../metrics/metrics-endpoint';
import { checkLogLevel, type LogLevel } from '../logging/levels';
import { checkLogFormat, createLogger, type LogFormat } from '../logging/line-logger';
import type { Logger } from '../logging/logger';
import { getLogger, isLogger } from '../logging/process-logger';
import { resolveHealthOptions, type HealthOptions, type ResolvedHealthOptions } from './health-options';
import { scopeLogger, scopeSummary } from './log-fields';

/**
 * permessage-deflate settings, handed to ws as given (the same fields as
 * ws's `PerMessageDeflateOptions`; declared here so the package's types do
 * not need `@types/ws`).
 */
export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
  /** zlib options of the deflate stream (level, memLevel...). */
  zlibDeflateOptions?: Record<string, unknown>;
  /** zlib options of the inflate stream. */
  zlibInflateOptions?: Record<string, unknown>;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Concurrent zlib calls. Default 10. */
  concurrencyLimit?: number;
}

/** Options for `createServer()` / `serve()`. Every limit has a finite default. */
export interface ServerOptions {
  /** Largest incoming frame/message in bytes; bigger closes with 1009. Default 1 MiB. */
  maxPayload?: number;
  /** How often open connections are pinged, in ms; 0 disables pings. Default 20 000. */
  pingInterval?: number;
  /** How long a ping may go unanswered before the peer is dropped (1006), in ms. Default 20 000. */
  pongTimeout?: number;
  /** How long the application has to accept or deny a handshake, in ms (then 504). Default 10 000. */
  handshakeTimeout?: number;
  /** WebSocket connections (handshaking or open) beyond which handshakes get 503. Default Infinity. */
  maxConnections?: number;
  /**
   * WebSocket connections (handshaking or open) one client address may hold;
   * past it handshakes get 429. IPv6 addresses count by /64. Infinity
   * disables it. Behind a reverse proxy set `trustedProxies`, or every client
   * counts as the proxy. Default 128.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Addresses of reverse proxies whose `X-Forwarded-For` names the client
   * (for `maxConnectionsPerAddress`). Default none: the header is ignored.
   */
  trustedProxies?: readonly string[];
  /** permessage-deflate: false (default), true, or ws's options object. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Outgoing bytes buffered for one client beyond which it is closed with 4008. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** After the server sends a close frame, how long the peer has to complete the close, in ms. Default 5 000. */
  closeTimeout?: number;
  /** Incoming messages queued for an application before reading from that client pauses. Default 1 024. */
  maxQueuedMessages?: number;
  /** Largest request head (request line + headers) in bytes; bigger gets 431. Default 16 384. */
  maxHeaderSize?: number;
  /** Time a client has to send a complete request head, in ms (then 408). Default 15 000. */
  headersTimeout?: number;
  /** Time a client has to send a complete request (head and body), in ms. Default 120 000. */
  requestTimeout?: number;
  /** Idle time allowed between HTTP keep-alive requests, in ms. Default 5 000. */
  keepAliveTimeout?: number;
  /** A new TCP connection that sends nothing is closed after this many ms; 0 disables. Default 15 000. */
  idleSocketTimeout?: number;
  /** Whether `close()` also closes the configured channel layers. Default true. */
  closeLayers?: boolean;
  /**
   * Called with errors that escape an application (after accept, or a 5xx
   * before it) and with failures while shutting down. Default: logged at
   * `error` level through the server's logger (scope path and client only).
   */
  onError?: (error: unknown, scope: Scope | null) => void;
  /**
   * Where the server logs (startup, refused handshakes at `debug`, errors):
   * any pino-compatible logger. Default: the built-in stderr logger. A
   * server given `logger`, `logLevel` or `logFormat` also becomes the
   * process logger (consumers, presence, layers) until it closes, unless
   * `setLogger()` installed one.
   */
  logger?: Logger;
  /** Level of the built-in logger (not allowed with `logger`). Default: SWITCHYARD_LOG, else `info`. */
  logLevel?: LogLevel;
  /** `text` or `json` lines from the built-in logger (not allowed with `logger`). Default: SWITCHYARD_LOG_FORMAT, else `text`. */
  logFormat?: LogFormat;
  /**
   * Serve `/healthz` (liveness) and `/readyz` (readiness) on plain HTTP
   * requests, before the application: `true` for the defaults or an object
   * (paths, event-loop bound, drain delay). Default false.
   */
  health?: boolean | HealthOptions;
  /**
   * Prometheus metrics (needs the optional package prom-client): `true`
   * serves them at `/metrics` on this port; `{ path, port, host, registry,
   * prefix, defaultMetrics }` picks the details. Default false.
   */
  metrics?: boolean | MetricsOptions;
  /**
   * The live dashboard page at `/dashboard` (its websocket at `/dashboard/ws`),
   * protected by a token: `true`, or `{ path, token, layerAlias, intervalMs }`.
   * Without a token one is generated: `server.dashboardUrl()` has it. Default false.
   */
  dashboard?: boolean | DashboardOptions;
}

/** Options with every default filled in. */
export type ResolvedServerOptions = Required<Omit<ServerOptions, 'logger' | 'logLevel' | 'logFormat' | 'health'>> & {
  /** The logger in use. */
  logger: Logger;
  /** True when the logger came from `logger`, `logLevel` or `logFormat` (the server installs it as the process logger). */
  explicitLogger: boolean;
  /** Health endpoints, or null when off. */
  health: ResolvedHealthOptions | null;
};

/** The default `onError`: one `error` line through `logger`, without headers, query or cookies. */
export function logApplicationError(logger: Logger): (error: unknown, scope: Scope | null) => void {
  return (error, scope) => {
    if (scope === null || typeof scope !== 'object') logger.error({ err: error }, 'application error');
    else scopeLogger(logger, scope).error({ err: error, scope: scopeSummary(scope) }, 'application error');
  };
}

const MiB = 1024 * 1024;

/** The documented defaults (the logger is resolved per server: see `logger`). */
export const SERVER_DEFAULTS: Readonly<Omit<ResolvedServerOptions, 'logger' | 'explicitLogger'>> = Object.freeze({
  maxPayload: MiB,
  pingInterval: 20_000,
  pongTimeout: 20_000,
  handshakeTimeout: 10_000,
  maxConnections: Infinity,
  maxConnectionsPerAddress: 128,
  trustedProxies: Object.freeze([]) as readonly string[],
  perMessageDeflate: false,
  maxBufferedBytes: MiB,
  closeTimeout: 5_000,
  maxQueuedMessages: 1024,
  maxHeaderSize: 16 * 1024,
  headersTimeout: 15_000,
  requestTimeout: 120_000,
  keepAliveTimeout: 5_000,
  idleSocketTimeout: 15_000,
  closeLayers: true,
  metrics: false,
  dashboard: false,
  onError: (error: unknown, scope: Scope | null) => logApplicationError(getLogger())(error, scope),
  health: null,
});

const LOGGING_KEYS: ReadonlySet<string> = new Set(['logger', 'logLevel', 'logFormat', 'health']);

function resolveLogger(options: ServerOptions): { logger: Logger; explicitLogger: boolean } {
  const { logger, logLevel, logFormat } = options;
  if (logger !== undefined) {
    if (!isLogger(logger)) {
      throw new InvalidOption('createServer: option logger must have trace/debug/info/warn/error/fatal and child() (a pino instance fits)');
    }
    if (logLevel !== undefined || logFormat !== undefined) {
      throw new InvalidOption('createServer: options logLevel and logFormat configure the built-in logger; with option logger, set the level and format on your logger');
    }
    return { logger, explicitLogger: true };
  }
  if (logLevel === undefined && logFormat === undefined) return { logger: getLogger(), explicitLogger: false };
  return {
    logger: createLogger({
      level: logLevel === undefined ? undefined : checkLogLevel(logLevel, 'createServer: option logLevel'),
      format: logFormat === undefined ? undefined : checkLogFormat(logFormat, 'createServer: option logFormat'),
    }),
    explicitLogger: true,
  };
}

const POSITIVE = ['maxPayload', 'handshakeTimeout', 'maxBufferedBytes', 'closeTimeout', 'maxQueuedMessages', 'maxHeaderSize'] as const;
const NON_NEGATIVE = ['pingInterval', 'pongTimeout', 'headersTimeout', 'requestTimeout', 'keepAliveTimeout', 'idleSocketTimeout'] as const;

/** Fills in defaults and rejects values that cannot work, naming the option. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOption('createServer: options must be an object');
  const { logger, explicitLogger } = resolveLogger(options);
  const resolved = { ...SERVER_DEFAULTS, logger, explicitLogger } as ResolvedServerOptions;
  if (options.onError === undefined) resolved.onError = logApplicationError(logger);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !LOGGING_KEYS.has(key)) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  resolved.health = resolveHealthOptions(options.health);
  for (const key of POSITIVE) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidOption(`createServer: option ${key} must be a positive finite number, got ${String(value)}`);
    }
  }
  for (const key of NON_NEGATIVE) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidOption(`createServer: option ${key} must be a finite number >= 0, got ${String(value)}`);
    }
  }
  const max = resolved.maxConnections;
  if (typeof max !== 'number' || Number.isNaN(max) || max < 1) {
    throw new InvalidOption(`createServer: option maxConnections must be >= 1 (or Infinity), got ${String(max)}`);
  }
  const perAddress = resolved.maxConnectionsPerAddress;
  if (typeof perAddress !== 'number' || Number.isNaN(perAddress) || perAddress < 1) {
    throw new InvalidOption(`createServer: option maxConnectionsPerAddress must be >= 1 (or Infinity), got ${String(perAddress)}`);
  }
  if (!Array.isArray(resolved.trustedProxies) || resolved.trustedProxies.some((a) => typeof a !== 'string' || a === '')) {
    throw new InvalidOption('createServer: option trustedProxies must be an array of IP addresses such as ["127.0.0.1"]');
  }
  if (resolved.pingInterval > 0 && resolved.pongTimeout <= 0) {
    throw new InvalidOption('createServer: option pongTimeout must be > 0 when pingInterval is set');
  }
  if (resolved.headersTimeout > 0 && resolved.requestTimeout > 0 && resolved.headersTimeout > resolved.requestTimeout) {
    throw new InvalidOption('createServer: option headersTimeout must not exceed requestTimeout');
  }
  if (typeof resolved.onError !== 'function') throw new InvalidOption('createServer: option onError must be a function');
  const metrics = resolved.metrics;
  if (typeof metrics !== 'boolean' && (metrics === null || typeof metrics !== 'object')) {
    throw new InvalidOption('createServer: option metrics must be a boolean or { path, port, host, registry, prefix, defaultMetrics }');
  }
  const dashboard = resolved.dashboard;
  if (typeof dashboard !== 'boolean' && (dashboard === null || typeof dashboard !== 'object')) {
    throw new InvalidOption('createServer: option dashboard must be a boolean or { path, token, layerAlias, intervalMs }');
  }
  if (typeof resolved.closeLayers !== 'boolean') throw new InvalidOption('createServer: option closeLayers must be a boolean');
  return resolved;
}
