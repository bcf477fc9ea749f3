/**
 * Server options, their defaults, and the one place they are checked.
 * docs/server.md carries the same table; keep them in step.
 */
import type { PerMessageDeflateOptions } from 'ws';
import type { Scope } from '../application';
import { InvalidOption } from '../errors';
import type { DashboardOptions } from '../dashboard/dashboard';
import type { MetricsOptions } from '../metrics/metrics-endpoint';

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
   * before it) and with failures while shutting down. Default: console.error.
   */
  onError?: (error: unknown, scope: Scope | null) => void;
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
export type ResolvedServerOptions = Required<ServerOptions>;

const MiB = 1024 * 1024;

/** The documented defaults. */
export const SERVER_DEFAULTS: Readonly<ResolvedServerOptions> = Object.freeze({
  maxPayload: MiB,
  pingInterval: 20_000,
  pongTimeout: 20_000,
  handshakeTimeout: 10_000,
  maxConnections: Infinity,
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
  onError: (error: unknown) => {
    console.error('[switchyard] application error:', error);
  },
});

const POSITIVE = ['maxPayload', 'handshakeTimeout', 'maxBufferedBytes', 'closeTimeout', 'maxQueuedMessages', 'maxHeaderSize'] as const;
const NON_NEGATIVE = ['pingInterval', 'pongTimeout', 'headersTimeout', 'requestTimeout', 'keepAliveTimeout', 'idleSocketTimeout'] as const;

/** Fills in defaults and rejects values that cannot work, naming the option. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOption('createServer: options must be an object');
  const resolved = { ...SERVER_DEFAULTS } as ResolvedServerOptions;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
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
