/**
 * The backends every process knows, by URL scheme: a static table, so the
 * registry imports them plainly instead of loading a module at call time.
 * (The Redis layers load the `redis` package only when a layer connects.)
 */
import type { LayerBackend } from './layer-backend';
import { InMemoryChannelLayer } from './memory-layer';
import { REDIS_SCHEMES, redisBackend } from './redis/url-backend';

const memoryBackend: LayerBackend = { factory: (_url, options) => new InMemoryChannelLayer(options), checks: { queryKeys: [] } };

/** Scheme (lower case, without `:`) -> backend. */
export const BUILT_IN_BACKENDS: ReadonlyMap<string, LayerBackend> = new Map<string, LayerBackend>([
  ['memory', memoryBackend],
  ...REDIS_SCHEMES.map((scheme): [string, LayerBackend] => [scheme, redisBackend]),
]);
