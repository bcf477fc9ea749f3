import { createChannelLayer } from '../../../../src/layers/registry';
import { parseRedisLayerUrl, RedisChannelLayer, RedisPubSubChannelLayer } from '../../../../src/layers/redis';

describe('Redis layer URLs', () => {
  it('parses the scheme, prefix, extra hosts and strips its own query keys', () => {
    expect(parseRedisLayerUrl(new URL('redis://127.0.0.1:6379/2?prefix=chat&capacity=5&host=redis://10.0.0.2:6380'))).toEqual({
      pubsub: false,
      cluster: false,
      hosts: ['redis://127.0.0.1:6379/2', 'redis://10.0.0.2:6380'],
      prefix: 'chat',
    });
    expect(parseRedisLayerUrl(new URL('rediss+pubsub://user:pw@h:1'))).toMatchObject({ pubsub: true, hosts: ['rediss://user:pw@h:1'] });
    expect(parseRedisLayerUrl(new URL('redis://h:1?layer=pubsub&cluster=1'))).toMatchObject({ pubsub: true, cluster: true, hosts: ['redis://h:1'] });
  });

  it('registers redis:, rediss: and redis+pubsub: with the layer registry', async () => {
    const url = new URL(process.env.REDIS_URL!);
    const core = createChannelLayer(`redis://${url.host}?prefix=sy-url-test&capacity=7`);
    const pubsub = createChannelLayer(`redis+pubsub://${url.host}?prefix=sy-url-test`);
    const viaQuery = createChannelLayer(`redis://${url.host}?layer=pubsub`);
    try {
      expect(core).toBeInstanceOf(RedisChannelLayer);
      expect((core as RedisChannelLayer).prefix).toBe('sy-url-test');
      expect((core as RedisChannelLayer).capacityOf('x')).toBe(7);
      expect(pubsub).toBeInstanceOf(RedisPubSubChannelLayer);
      expect(viaQuery).toBeInstanceOf(RedisPubSubChannelLayer);
    } finally {
      await Promise.all([core.close(), pubsub.close(), viaQuery.close()]);
    }
  });

  it('refuses a bad layer kind and cluster mode for the core layer', () => {
    expect(() => createChannelLayer('redis://h:1?layer=fast')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_LAYER_CONFIG' }));
    expect(() => createChannelLayer('redis://h:1?cluster=1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_LAYER_CONFIG' }));
  });
});
