/** Jest global teardown: stop the throwaway Redis if global setup started one. */
export default async function globalTeardown(): Promise<void> {
  const redis = (globalThis as { __switchyardRedis?: { stop(): Promise<void> } }).__switchyardRedis;
  if (redis) await redis.stop();
}
