import { DEFAULT_REDIS_URL, pingRedis, startThrowawayRedis } from './redis-server';

/**
 * Jest global setup: make sure REDIS_URL points at a Redis that answers.
 * Workers inherit process.env, so every test file sees the chosen URL.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  if (await pingRedis(url)) {
    process.env.REDIS_URL = url;
    return;
  }
  const redis = await startThrowawayRedis();
  process.env.REDIS_URL = redis.url;
  (globalThis as { __switchyardRedis?: { stop(): Promise<void> } }).__switchyardRedis = redis;
}
