import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { describeChannelLayerContract } from './channel-layer.contract';

// Every test gets its own key prefix; afterEach deletes that prefix's keys (never FLUSHDB: the Redis is shared).
const url = process.env.REDIS_URL!;
let prefix = '';
const used: string[] = [];

beforeEach(() => {
  prefix = `sy-core-${randomBytes(4).toString('hex')}:`;
  used.push(prefix);
});

afterAll(async () => {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  for (const p of used) {
    for await (const keys of client.scanIterator({ MATCH: `${p}*`, COUNT: 500 })) if (keys.length) await client.unlink(keys);
  }
  client.destroy();
});

describeChannelLayerContract('RedisChannelLayer', async (options) => new RedisChannelLayer({ url, prefix, ...options }), {
  crossInstance: true,
});
