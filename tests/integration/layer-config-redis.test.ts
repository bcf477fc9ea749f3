/**
 * A Redis database the server does not have (/99 on a default server with
 * 16): a configuration error naming the database, raised before the server
 * listens, and no endless reconnecting; an unreachable server stays a
 * retried LayerUnavailable.
 */
import { createClient } from 'redis';
import { InvalidChannelLayerConfig, LayerUnavailable } from '../../src/errors';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { closeChannelLayers, configureChannelLayers } from '../../src/layers/registry';
import { createLogger } from '../../src/logging/line-logger';
import { serve } from '../../src/server/server';
import { freePort, startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';

let redis: ThrowawayRedis;
beforeAll(async () => {
  redis = await startThrowawayRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
});

async function connectionsReceived(): Promise<number> {
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const info = await client.info('stats');
    return Number(/total_connections_received:(\d+)/.exec(info)![1]);
  } finally {
    client.destroy();
  }
}

describe('a database the Redis server does not have', () => {
  it('is a configuration error naming the database, and the layer stops retrying', async () => {
    const layer = new RedisChannelLayer({ url: `${redis.url}/99`, retryMinDelay: 10, retryMaxDelay: 20, connectTimeout: 1000 });
    try {
      const error = await layer.groupMembers('g').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidChannelLayerConfig);
      expect(error).toMatchObject({ code: 'ERR_INVALID_LAYER_CONFIG', part: 'database' });
      expect((error as Error).message).toMatch(/refused the database number.*DB index is out of range/);
      // With retries every 10-20 ms, 300 ms would bring a dozen connections; a stopped layer brings none.
      const before = await connectionsReceived();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await connectionsReceived();
      expect(after - before).toBe(1); // our own second INFO connection only
      await expect(layer.send('c', { type: 't' })).rejects.toBeInstanceOf(InvalidChannelLayerConfig);
    } finally {
      await layer.close();
    }
  });

  it('stops serve() before it listens', async () => {
    configureChannelLayers({ default: `${redis.url}/99` });
    let text = '';
    const logger = createLogger({ stream: { write: (chunk: string) => ((text += chunk), true) }, env: {} });
    const port = await freePort();
    await expect(serve(async () => undefined, { port, host: '127.0.0.1', logger })).rejects.toMatchObject({
      code: 'ERR_INVALID_LAYER_CONFIG',
      part: 'database',
    });
    expect(text).not.toContain('listening on');
    // Nothing listens on the port.
    await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });

  it('a server that is merely unreachable stays LayerUnavailable (retried), not a configuration error', async () => {
    const port = await freePort();
    const layer = new RedisChannelLayer({ url: `redis://127.0.0.1:${port}/0`, connectTimeout: 500 });
    try {
      await expect(layer.groupMembers('g')).rejects.toBeInstanceOf(LayerUnavailable);
    } finally {
      await layer.close();
    }
  });
});
