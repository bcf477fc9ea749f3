/**
 * Named channel layers (`default` first), configured in code or from the
 * environment, created lazily once per alias. The built-in backends (memory,
 * Redis) come from a static table; `registerLayerBackend` adds or replaces one.
 */
import { InvalidChannelLayerConfig } from '../errors';
import { redactUrl } from '../logging/redact';
import type { AnyEventMap, ChannelLayer, ChannelLayerOptions, EventMap } from './channel-layer';
import { attachLayerStats } from '../metrics/instrumentation';
import { BUILT_IN_BACKENDS } from './built-in-backends';
import { InMemoryChannelLayer } from './memory-layer';
import type { LayerBackend, LayerBackendChecks, LayerBackendFactory, LayerBackendOptions } from './layer-backend';

export type { LayerBackendChecks, LayerBackendFactory, LayerBackendOptions } from './layer-backend';

/** One alias's configuration: a URL, a ready layer, or an object. */
export type ChannelLayerConfig =
  | string
  | ChannelLayer
  | {
      /** e.g. `memory://` or `redis://127.0.0.1:6379/0?capacity=200`. */
      url?: string;
      /** A registered scheme without `:` (e.g. `memory`, `redis`); overrides the URL's scheme. */
      backend?: string;
      /** Backend options; they win over options in the URL query. */
      options?: LayerBackendOptions;
    };

/** Environment variable read when nothing is configured in code. */
export const CHANNEL_LAYER_URL_ENV = 'CHANNEL_LAYER_URL';

const backends = new Map<string, LayerBackend>(BUILT_IN_BACKENDS);
const instances = new Map<string, ChannelLayer>();
let configured: Map<string, ChannelLayerConfig> | null = null;
/** Where the configuration came from, for the startup line ("from REDIS_URL"); null: code. */
let configuredFrom: string | null = null;

/** Query keys read as numeric common options (`?capacity=200&expiry=30`). */
const NUMERIC_QUERY_OPTIONS: Record<string, keyof ChannelLayerOptions> = {
  capacity: 'capacity',
  expiry: 'expiry',
  groupExpiry: 'groupExpiry',
  group_expiry: 'groupExpiry',
};

function normalizeScheme(scheme: string): string {
  return scheme.toLowerCase().replace(/:$/, '');
}

/**
 * Register a backend for a URL scheme (`redis`, `redis:` and `REDIS` are the
 * same). Registering a scheme again replaces its factory.
 *
 * @example
 * registerLayerBackend('redis', (url, options) => new RedisChannelLayer({ url: url.href, ...options }));
 */
export function registerLayerBackend(scheme: string, factory: LayerBackendFactory, checks: LayerBackendChecks = {}): void {
  const name = normalizeScheme(scheme);
  if (!/^[a-z][a-z\d+.-]*$/.test(name)) {
    throw new InvalidChannelLayerConfig(`cannot register backend scheme ${JSON.stringify(scheme)}: not a URL scheme`, 'scheme');
  }
  if (typeof factory !== 'function') {
    throw new InvalidChannelLayerConfig(`the factory for scheme ${JSON.stringify(name)} must be a function (url, options) => ChannelLayer`);
  }
  backends.set(name, { factory, checks });
}

/** Registered schemes, e.g. `['memory', 'redis']`. */
export function registeredLayerSchemes(): string[] {
  return [...backends.keys()];
}

function isLayer(value: unknown): value is ChannelLayer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ChannelLayer).send === 'function' &&
    typeof (value as ChannelLayer).receive === 'function' &&
    typeof (value as ChannelLayer).close === 'function'
  );
}

function parseUrl(text: string): URL {
  if (typeof text !== 'string') throw new InvalidChannelLayerConfig('a channel layer URL must be a string such as "memory://" or "redis://127.0.0.1:6379/0"', 'url');
  try {
    return new URL(text);
  } catch {
    throw new InvalidChannelLayerConfig(
      `channel layer URL ${JSON.stringify(redactUrl(text))} is not a valid URL; use e.g. memory:// or redis://127.0.0.1:6379/0`,
      'url',
    );
  }
}

/** The backend registered for `scheme`, or a clear error. */
function backendOf(scheme: string): LayerBackend {
  const backend = backends.get(scheme);
  if (backend === undefined) {
    throw new InvalidChannelLayerConfig(
      `no channel layer backend is registered for scheme ${JSON.stringify(scheme)}; registered: ` +
        `${registeredLayerSchemes().join(', ')}. Use one of those, or register a backend with registerLayerBackend(scheme, factory).`,
      'scheme',
    );
  }
  return backend;
}

/** Refuses query keys the backend does not read: a misspelt `?capacty=` must not be ignored. */
function checkQueryKeys(url: URL, scheme: string, checks: LayerBackendChecks): void {
  if (checks.queryKeys === undefined) return;
  const known = new Set([...Object.keys(NUMERIC_QUERY_OPTIONS), ...checks.queryKeys]);
  for (const key of new Set(url.searchParams.keys())) {
    if (!known.has(key)) {
      throw new InvalidChannelLayerConfig(
        `channel layer URL ${JSON.stringify(redactUrl(url.href))}: unknown query key ${JSON.stringify(key)} for scheme ${scheme}; ` +
          `known keys: ${[...known].join(', ')}`,
        'query',
      );
    }
  }
}

/**
 * Check a layer URL without creating the layer: syntax, a registered scheme,
 * known query keys, numeric options and the backend's own checks (e.g. a
 * Redis database number). Throws InvalidChannelLayerConfig whose `part`
 * names what is wrong; the URL's password never appears in the message.
 *
 * @example
 * checkChannelLayerUrl('redis://127.0.0.1:6379/0?prefix=chat'); // ok
 * checkChannelLayerUrl('redis://127.0.0.1:6379/0?prefx=chat');  // throws, part 'query'
 */
export function checkChannelLayerUrl(text: string, backend?: string): URL {
  const url = parseUrl(text);
  const scheme = normalizeScheme(backend ?? url.protocol);
  const { checks } = backendOf(scheme);
  checkQueryKeys(url, scheme, checks);
  queryOptions(url);
  checks.checkUrl?.(url);
  return url;
}

function queryOptions(url: URL): LayerBackendOptions {
  const options: LayerBackendOptions = {};
  for (const [param, option] of Object.entries(NUMERIC_QUERY_OPTIONS)) {
    const raw = url.searchParams.get(param);
    if (raw === null) continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) {
      throw new InvalidChannelLayerConfig(`channel layer URL query ${param}=${JSON.stringify(raw)} is not a number`, 'query');
    }
    (options as Record<string, number>)[option] = value;
  }
  return options;
}

/**
 * Build a new layer (not registered under any alias) from a URL or a config object.
 * Throws InvalidChannelLayerConfig for a bad URL or an unregistered scheme.
 *
 * @example
 * const layer = createChannelLayer('memory://?capacity=200');
 * const other = createChannelLayer({ backend: 'memory', options: { expiry: 30 } });
 */
export function createChannelLayer(config: string | Exclude<ChannelLayerConfig, string | ChannelLayer>): ChannelLayer {
  let url: URL;
  let scheme: string;
  let options: LayerBackendOptions = {};
  if (typeof config === 'string') {
    url = parseUrl(config);
    scheme = normalizeScheme(url.protocol);
  } else if (typeof config === 'object' && config !== null && !isLayer(config)) {
    checkConfigObject(config);
    url = parseUrl(config.url ?? `${config.backend}://`);
    scheme = normalizeScheme(config.backend ?? url.protocol);
    options = config.options ?? {};
  } else {
    throw new InvalidChannelLayerConfig('a channel layer config must be a URL string, a ChannelLayer, or { url?, backend?, options? }');
  }
  const { factory, checks } = backendOf(scheme);
  checkQueryKeys(url, scheme, checks);
  const fromQuery = queryOptions(url);
  checks.checkUrl?.(url);
  return factory(url, { ...fromQuery, ...options });
}

function checkConfigObject(config: Exclude<ChannelLayerConfig, string | ChannelLayer>): void {
  if (config.url === undefined && config.backend === undefined) {
    throw new InvalidChannelLayerConfig('a channel layer config object needs a url (e.g. "memory://") or a backend (e.g. "memory")', 'url');
  }
  if (config.backend !== undefined && typeof config.backend !== 'string') {
    throw new InvalidChannelLayerConfig('channel layer config "backend" must be a scheme name such as "memory" or "redis"', 'scheme');
  }
  if (config.options !== undefined && (typeof config.options !== 'object' || config.options === null)) {
    throw new InvalidChannelLayerConfig('channel layer config "options" must be an object', 'options');
  }
}

/**
 * Set the layers by alias, replacing any earlier configuration; `null` goes
 * back to unconfigured (then `default` comes from CHANNEL_LAYER_URL, else an
 * embedded InMemoryChannelLayer). URLs are checked now (syntax, scheme,
 * query keys, the backend's checks such as a Redis database number; see
 * `checkChannelLayerUrl`). Throws InvalidChannelLayerConfig while layers created
 * from an earlier configuration are still open: `await closeChannelLayers()` first.
 *
 * @example
 * configureChannelLayers({
 *   default: 'redis://127.0.0.1:6379/0',
 *   local: { backend: 'memory', options: { capacity: 500 } },
 * });
 */
export function configureChannelLayers(config: Record<string, ChannelLayerConfig> | null): void {
  if (instances.size > 0) {
    throw new InvalidChannelLayerConfig(
      `channel layers ${[...instances.keys()].map((a) => JSON.stringify(a)).join(', ')} are open; ` +
        'await closeChannelLayers() before configuring again',
    );
  }
  if (config === null) {
    configured = null;
    return;
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new InvalidChannelLayerConfig('configureChannelLayers expects an object of { alias: url | layer | { url, backend, options } }');
  }
  const next = new Map<string, ChannelLayerConfig>();
  for (const [alias, entry] of Object.entries(config)) {
    try {
      if (typeof entry === 'string') checkChannelLayerUrl(entry);
      else if (typeof entry !== 'object' || entry === null) {
        throw new InvalidChannelLayerConfig('expected a URL string, a ChannelLayer or { url?, backend?, options? }', 'alias');
      } else if (!isLayer(entry)) {
        checkConfigObject(entry);
        checkChannelLayerUrl(entry.url ?? `${entry.backend}://`, entry.backend);
      }
    } catch (error) {
      if (!(error instanceof InvalidChannelLayerConfig)) throw error;
      throw new InvalidChannelLayerConfig(`channel layer alias ${JSON.stringify(alias)}: ${error.message}`, error.part, { cause: error });
    }
    next.set(alias, entry);
  }
  configured = next;
  configuredFrom = null;
}

/** Labels the current configuration's origin (the CLI: "CHANNEL_LAYER_URL" / "REDIS_URL") for the startup line. */
export function noteConfigurationSource(source: string | null): void {
  configuredFrom = source;
}

/** How an alias would be served, without creating its layer: for startup lines and health checks. */
export interface LayerSourceInfo {
  /** `url`: a URL or config object; `instance`: a layer object; `embedded`: the in-memory fallback; `none`: not configured. */
  kind: 'url' | 'instance' | 'embedded' | 'none';
  /** The URL, passwords redacted (kind `url`). */
  url?: string;
  /** Where it was set: `configureChannelLayers`, `CHANNEL_LAYER_URL`, `REDIS_URL` ... */
  source: string;
  /** The layer if it was created already. */
  layer: ChannelLayer | null;
}

/** Describes `alias` (default `default`) without creating it; checks an environment URL on the way. */
export function channelLayerSource(alias = 'default'): LayerSourceInfo {
  const layer = instances.get(alias) ?? null;
  if (configured !== null) {
    const entry = configured.get(alias);
    const source = configuredFrom ?? 'configureChannelLayers';
    if (entry === undefined) return { kind: 'none', source, layer };
    if (isLayer(entry)) return { kind: 'instance', source, layer: layer ?? entry };
    const url = typeof entry === 'string' ? entry : (entry.url ?? `${entry.backend}://`);
    return { kind: 'url', url: redactUrl(url), source, layer };
  }
  if (alias !== 'default') return { kind: 'none', source: 'configureChannelLayers', layer };
  const url = process.env[CHANNEL_LAYER_URL_ENV]?.trim();
  if (url) {
    checkEnvUrl(url);
    return { kind: 'url', url: redactUrl(url), source: CHANNEL_LAYER_URL_ENV, layer };
  }
  return { kind: 'embedded', source: 'embedded', layer };
}

function checkEnvUrl(url: string): void {
  try {
    checkChannelLayerUrl(url);
  } catch (error) {
    if (!(error instanceof InvalidChannelLayerConfig)) throw error;
    throw new InvalidChannelLayerConfig(`${CHANNEL_LAYER_URL_ENV}: ${error.message}`, error.part, { cause: error });
  }
}

/**
 * The layer for `alias`, created on first use and then shared. Returns null
 * when the alias is not configured (as Django does). With no configuration
 * at all, `default` is built from CHANNEL_LAYER_URL if set, else it is an
 * embedded InMemoryChannelLayer. `M` types the messages (a claim by the
 * caller, not checked at runtime); the default accepts any message.
 *
 * @example
 * const layer = getChannelLayer<ChatEvents>();
 * await layer?.groupSend('room.lobby', { type: 'chat.message', text: 'hi' });
 */
export function getChannelLayer<M extends EventMap = AnyEventMap>(alias = 'default'): ChannelLayer<M> | null {
  const existing = instances.get(alias);
  // The type parameter is the caller's claim about what travels on this layer; it is not checked at runtime.
  if (existing !== undefined) return existing as unknown as ChannelLayer<M>;
  let layer: ChannelLayer;
  if (configured !== null) {
    const entry = configured.get(alias);
    if (entry === undefined) return null;
    layer = isLayer(entry) ? entry : createChannelLayer(entry);
  } else if (alias === 'default') {
    const url = process.env[CHANNEL_LAYER_URL_ENV]?.trim();
    if (url) checkEnvUrl(url);
    layer = url ? createChannelLayer(url) : new InMemoryChannelLayer();
  } else {
    return null;
  }
  instances.set(alias, layer);
  attachLayerStats(alias, layer);
  return layer as unknown as ChannelLayer<M>;
}

/**
 * Close every layer the registry created or was given, and forget them; the
 * next `getChannelLayer` creates fresh ones from the same configuration.
 * Aliases configured with a layer instance are removed from the
 * configuration, since a closed layer cannot be reused.
 */
export async function closeChannelLayers(): Promise<void> {
  const open = new Set(instances.values());
  instances.clear();
  if (configured !== null) {
    for (const [alias, entry] of configured) {
      if (!isLayer(entry)) continue;
      open.add(entry);
      configured.delete(alias);
    }
  }
  const results = await Promise.allSettled([...open].map((layer) => layer.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

