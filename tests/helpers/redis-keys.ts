/**
 * Test keys on a shared Redis: every test writes under its own prefix and
 * deletes exactly those keys afterwards (never FLUSHDB: other runs may share
 * the server).
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

/** Delete every key under each of `prefixes` (SCAN + UNLINK). */
export async function deleteKeysUnder(url: string, prefixes: Iterable<string>): Promise<void> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const prefix of prefixes) {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await client.unlink(keys);
    }
  } finally {
    client.destroy();
  }
}

/** A key prefix no other test or run uses: `sy-<label>-<random>:`. */
export function freshPrefix(label: string): string {
  return `sy-${label}-${randomBytes(4).toString('hex')}:`;
}

/**
 * Call at the top of a test file or describe: a fresh prefix
 * `sy-<label>-<random>:` before each test, returned by the getter, and all
 * of them deleted after the last test.
 */
export function prefixPerTest(label: string, url: string = process.env.REDIS_URL!): () => string {
  const used: string[] = [];
  beforeEach(() => {
    used.push(freshPrefix(label));
  });
  afterAll(() => deleteKeysUnder(url, used));
  return () => used[used.length - 1]!;
}
