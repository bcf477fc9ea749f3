/**
 * node-redis and msgpack are optional peer dependencies: the Redis layers
 * load them when the first one is created, so importing the package (whose
 * barrel exports the Redis layer classes) loads neither.
 */
import type * as NodeRedis from 'redis';
import { requirePeer } from '../../peer-dependency';

/** The feature named in MissingPeerDependency. */
export const REDIS_FEATURE = 'the Redis channel layers';

/** What to install for them. */
export const REDIS_PACKAGES = 'redis @msgpack/msgpack';

/** The node-redis module. */
export type NodeRedisModule = typeof NodeRedis;

let loaded: NodeRedisModule | undefined;

/** node-redis, loaded on first call; throws MissingPeerDependency when it is not installed. */
export function nodeRedis(): NodeRedisModule {
  return (loaded ??= requirePeer<NodeRedisModule>('redis', REDIS_FEATURE, REDIS_PACKAGES));
}
