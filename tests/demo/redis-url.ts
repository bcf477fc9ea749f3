/** A layer URL on the test Redis with a key prefix of its own. */
import { randomBytes } from 'node:crypto';

/** `REDIS_URL` (default redis://127.0.0.1:6379) with `?prefix=sy-<label>-<random>:`, and that prefix. */
export function redisLayerUrl(label: string): { url: string; prefix: string } {
  const prefix = `sy-${label}-${randomBytes(4).toString('hex')}:`;
  const url = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  url.searchParams.set('prefix', prefix);
  return { url: url.href, prefix };
}
