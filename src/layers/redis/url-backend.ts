/**
 * Redis layer URLs: which layer a URL names, its servers and prefix, and the
 * checks a URL must pass when configured. The registry's static table of
 * built-in backends (layers/built-in-backends.ts) holds `redisBackend`.
 */
import { InvalidChannelLayerConfig } from '../../errors';
import { redactUrl } from '../../logging/redact';
import type { ChannelLayer } from '../channel-layer';
import type { LayerBackend, LayerBackendOptions } from '../layer-backend';
import { RedisChannelLayer } from './redis-channel-layer';
import { checkRedisDatabase } from './redis-options';
import { RedisPubSubChannelLayer, type PublishAck } from './redis-pubsub-channel-layer';

/** Query keys this module reads (and strips before handing the URL to node-redis). */
const OWN_KEYS = ['prefix', 'layer', 'host', 'cluster', 'publishAck', 'capacity', 'expiry', 'groupExpiry', 'group_expiry'];

/** Values of the `publishAck` query key (see RedisPubSubChannelLayerOptions.publishAck). */
const PUBLISH_ACKS: readonly PublishAck[] = ['reply', 'written'];

interface ParsedUrl {
  pubsub: boolean;
  cluster: boolean;
  hosts: string[];
  prefix: string | undefined;
  /** `?publishAck=written|reply` (pub/sub layer only). */
  publishAck: PublishAck | undefined;
}

/** Split a layer URL into the layer kind, server URLs and prefix. */
export function parseRedisLayerUrl(url: URL): ParsedUrl {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const tls = scheme.startsWith('rediss');
  let pubsub = scheme.endsWith('+pubsub');
  const layer = url.searchParams.get('layer');
  if (layer !== null) {
    if (layer !== 'pubsub' && layer !== 'core') {
      throw new InvalidChannelLayerConfig(`redis layer URL: layer=${JSON.stringify(layer)} must be "core" or "pubsub"`);
    }
    pubsub = layer === 'pubsub';
  }
  const base = new URL(url.href.replace(/^[a-z+]+:/i, tls ? 'rediss:' : 'redis:'));
  for (const key of OWN_KEYS) base.searchParams.delete(key);
  const hosts = [base.href.replace(/\?$/, '')];
  for (const extra of url.searchParams.getAll('host')) hosts.push(extra);
  const cluster = url.searchParams.get('cluster');
  return {
    pubsub,
    cluster: cluster === '1' || cluster === 'true',
    hosts,
    prefix: url.searchParams.get('prefix') ?? undefined,
    publishAck: (url.searchParams.get('publishAck') as PublishAck | null) ?? undefined,
  };
}

function checkLayerUrl(url: URL): void {
  checkRedisDatabase(url);
  const layer = url.searchParams.get('layer');
  if (layer !== null && layer !== 'pubsub' && layer !== 'core') {
    throw new InvalidChannelLayerConfig(`redis layer URL: layer=${JSON.stringify(layer)} must be "core" or "pubsub"`, 'query');
  }
  const cluster = url.searchParams.get('cluster');
  if (cluster !== null && !['1', 'true', '0', 'false'].includes(cluster)) {
    throw new InvalidChannelLayerConfig(`redis layer URL: cluster=${JSON.stringify(cluster)} must be 1, true, 0 or false`, 'query');
  }
  const publishAck = url.searchParams.get('publishAck');
  if (publishAck !== null && !PUBLISH_ACKS.includes(publishAck as PublishAck)) {
    throw new InvalidChannelLayerConfig(`redis layer URL: publishAck=${JSON.stringify(publishAck)} must be "reply" or "written"`, 'query');
  }
  for (const host of url.searchParams.getAll('host')) {
    let parsed: URL;
    try {
      parsed = new URL(host);
    } catch {
      throw new InvalidChannelLayerConfig(`redis layer URL: host=${JSON.stringify(redactUrl(host))} is not a URL; use host=redis://other:6379/0`, 'host');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new InvalidChannelLayerConfig(`redis layer URL: host=${JSON.stringify(redactUrl(host))} must use redis:// or rediss://`, 'host');
    }
    checkRedisDatabase(parsed, `redis layer URL host=${redactUrl(host)}`);
  }
}

function fromUrl(url: URL, options: LayerBackendOptions): ChannelLayer {
  const parsed = parseRedisLayerUrl(url);
  const merged = { hosts: parsed.hosts, ...(parsed.prefix !== undefined ? { prefix: parsed.prefix } : {}), ...options };
  if (parsed.pubsub) {
    const publishAck = parsed.publishAck !== undefined ? { publishAck: parsed.publishAck } : {};
    return new RedisPubSubChannelLayer({ ...publishAck, ...merged, ...(parsed.cluster ? { cluster: true } : {}) });
  }
  if (parsed.publishAck !== undefined) {
    throw new InvalidChannelLayerConfig(
      'publishAck needs the pub/sub layer (redis+pubsub:// or ?layer=pubsub); the core layer always waits for Redis',
      'query',
    );
  }
  if (parsed.cluster) {
    throw new InvalidChannelLayerConfig('cluster=1 needs the pub/sub layer (redis+pubsub:// or ?layer=pubsub); the core layer speaks channels_redis, which has no cluster support');
  }
  return new RedisChannelLayer(merged);
}

/** The Redis schemes and their backend, for the registry's static table of built-in backends. */
export const REDIS_SCHEMES: readonly string[] = ['redis', 'rediss', 'redis+pubsub', 'rediss+pubsub'];
export const redisBackend: LayerBackend = { factory: fromUrl, checks: { queryKeys: OWN_KEYS, checkUrl: checkLayerUrl } };
