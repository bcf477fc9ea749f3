/**
 * The Redis channel layers, and their URL schemes in the layer registry:
 *
 * - `redis://host:port/db` and `rediss://...`: RedisChannelLayer (channels_redis compatible);
 *   add `?layer=pubsub` for RedisPubSubChannelLayer.
 * - `redis+pubsub://...` and `rediss+pubsub://...`: RedisPubSubChannelLayer.
 * - Query keys: `prefix`, `layer`, `host` (repeat it for more servers, sharded
 *   after the URL's own), `cluster=1` (pub/sub layer: the URL and `host`s are
 *   cluster seed nodes), plus the registry's `capacity`, `expiry`, `group_expiry`.
 *
 * The registry knows these schemes from its static table (layers/built-in-backends.ts).
 *
 * @example
 * import { RedisChannelLayer } from 'switchyard-channels';
 * configureChannelLayers({ default: 'redis://127.0.0.1:6379/0?prefix=chat' });
 */
export { RedisChannelLayer } from './redis-channel-layer';
export type { RedisChannelLayerOptions } from './redis-channel-layer';
export { RedisPubSubChannelLayer } from './redis-pubsub-channel-layer';
export type { PublishAck, RedisPubSubChannelLayerOptions } from './redis-pubsub-channel-layer';
export type { RedisLayerOptions, RedisClientExtraOptions } from './redis-options';
export type { LivenessOptions } from './liveness-options';
export { crc32, shardIndex } from './sharding';
export { ASGI_CHANNEL_KEY } from './codec';
export { parseRedisLayerUrl } from './url-backend';
