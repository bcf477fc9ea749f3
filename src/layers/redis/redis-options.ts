/**
 * Options shared by both Redis layers, with their defaults and checks.
 */
import { InvalidChannelLayerConfig, InvalidOption } from '../../errors';
import { redactUrl } from '../../logging/redact';
import { positiveOption } from '../../option-checks';
import type { ChannelLayerOptions } from '../channel-layer';
import { DEFAULT_TIMING, type ConnectionTiming } from './connection-timing';
import type { LivenessOptions } from './liveness-options';

/**
 * Extra node-redis client options, passed to node-redis's `createClient` as
 * given (see its documentation): credentials, TLS settings of `socket`, a
 * client `name`... Typed loosely here so that the package's types do not
 * need node-redis installed.
 */
export interface RedisClientExtraOptions {
  username?: string;
  password?: string;
  /** CLIENT SETNAME of every connection. */
  name?: string;
  /** Socket options: `tls`, `ca`, `cert`, `key`, `rejectUnauthorized`, `servername`, `keepAlive`... */
  socket?: { tls?: boolean; [option: string]: unknown };
  [option: string]: unknown;
}

/** The URL used when neither `hosts` nor `url` is given. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Options of RedisChannelLayer and RedisPubSubChannelLayer. */
export interface RedisLayerOptions extends ChannelLayerOptions {
  /**
   * Redis servers (`redis://` or `rediss://` URLs). With several, groups and
   * channels are spread over them by channels_redis's CRC-32 rule, so keep
   * the same list, in the same order, in every process (Python ones included).
   */
  hosts?: readonly string[];
  /** A single server; shorthand for `hosts: [url]`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key (and topic). Default `'asgi'`, as channels_redis. */
  prefix?: string;
  /** Milliseconds one connection attempt may take. Default 2000. */
  connectTimeout?: number;
  /** Milliseconds a connection may answer nothing while commands wait; then it is dropped and they fail with LayerUnavailable. Default 3000. */
  commandTimeout?: number;
  /** First reconnection delay in milliseconds (doubling, with jitter). Default 100. */
  retryMinDelay?: number;
  /** Longest reconnection delay in milliseconds. Default 5000. */
  retryMaxDelay?: number;
  /** Seconds one blocking pop waits before it re-checks what to watch. Default 5. */
  blockTimeout?: number;
  /** Extra node-redis client options (TLS settings, username/password, ...). `url` and reconnection are the layer's. */
  clientOptions?: RedisClientExtraOptions;
  /**
   * Removal of the memberships of processes that died: every process beats
   * every `interval` seconds (default 10); the members of one silent for
   * `timeout` seconds (default 30) are removed by a survivor within
   * `timeout + interval`. Members of Django processes are never touched.
   * `false` turns it off (this process neither beats nor removes). Also
   * with `cluster: true` (every master's groups are scanned).
   */
  liveness?: LivenessOptions | false;
}

/** Options after defaults and checks. */
export interface ResolvedRedisOptions {
  hosts: string[];
  prefix: string;
  timing: ConnectionTiming;
  blockTimeout: number;
  clientOptions: RedisClientExtraOptions;
}

/** Largest database index accepted at configure time; the server's own `databases` limit (16 by default) is checked when it answers. */
const MAX_DATABASE = 2 ** 31 - 1;

/** The database of a server URL's path: empty or `/` is 0; anything but `/<integer>` is refused. */
export function checkRedisDatabase(url: URL, what = 'redis layer URL'): number {
  const path = url.pathname;
  if (path === '' || path === '/') return 0;
  const digits = /^\/(\d+)$/.exec(path)?.[1];
  const db = digits === undefined ? Number.NaN : Number(digits);
  if (!Number.isSafeInteger(db) || db > MAX_DATABASE) {
    throw new InvalidChannelLayerConfig(
      `${what}: database ${JSON.stringify(path.slice(1))} is not a database number; ` +
        'use /0 to /15 (a default Redis server has 16 databases; more if its `databases` setting allows)',
      'database',
    );
  }
  return db;
}

function checkUrl(url: unknown, option: string): string {
  if (typeof url !== 'string') throw new InvalidOption(`${option} must be a redis:// or rediss:// URL string`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOption(`${option} ${JSON.stringify(redactUrl(url))} is not a URL; use e.g. redis://127.0.0.1:6379/0`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidOption(`${option} ${JSON.stringify(redactUrl(url))} must use redis:// or rediss://`);
  }
  checkRedisDatabase(parsed, option);
  return url;
}

/** Apply defaults and check every Redis-specific option. */
export function resolveRedisOptions(options: RedisLayerOptions): ResolvedRedisOptions {
  let hosts: string[];
  if (options.hosts !== undefined) {
    if (!Array.isArray(options.hosts) || options.hosts.length === 0) {
      throw new InvalidOption('hosts must be a non-empty array of redis:// URLs (a list even for one server)');
    }
    hosts = options.hosts.map((url, i) => checkUrl(url, `hosts[${i}]`));
  } else {
    hosts = [checkUrl(options.url ?? DEFAULT_REDIS_URL, 'url')];
  }
  const prefix = options.prefix ?? 'asgi';
  if (typeof prefix !== 'string' || /[\s*?[\]\\]/.test(prefix)) {
    throw new InvalidOption(`prefix must be a string without spaces or glob characters (* ? [ ] \\), got ${JSON.stringify(prefix)}`);
  }
  const timing: ConnectionTiming = {
    connectTimeout: positiveOption(options.connectTimeout, 'connectTimeout', 'milliseconds', DEFAULT_TIMING.connectTimeout),
    commandTimeout: positiveOption(options.commandTimeout, 'commandTimeout', 'milliseconds', DEFAULT_TIMING.commandTimeout),
    retryMinDelay: positiveOption(options.retryMinDelay, 'retryMinDelay', 'milliseconds', DEFAULT_TIMING.retryMinDelay),
    retryMaxDelay: positiveOption(options.retryMaxDelay, 'retryMaxDelay', 'milliseconds', DEFAULT_TIMING.retryMaxDelay),
  };
  const blockTimeout = positiveOption(options.blockTimeout, 'blockTimeout', 'seconds', 5);
  const clientOptions = options.clientOptions ?? {};
  if (typeof clientOptions !== 'object' || clientOptions === null) throw new InvalidOption('clientOptions must be an object');
  return { hosts, prefix, timing, blockTimeout, clientOptions };
}

/** Redis score of a time in milliseconds: float seconds, as channels_redis writes them. */
export function toScore(ms: number): string {
  return String(ms / 1000);
}

/** Whole seconds for EXPIRE (at least 1). */
export function ttlSeconds(seconds: number): string {
  return String(Math.max(1, Math.ceil(seconds)));
}
