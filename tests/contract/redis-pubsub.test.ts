import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { prefixPerTest } from '../helpers/redis-keys';
import { describeChannelLayerContract } from './channel-layer.contract';

const url = process.env.REDIS_URL!;
const prefix = prefixPerTest('pubsub', url);

describeChannelLayerContract('RedisPubSubChannelLayer', async (options) => new RedisPubSubChannelLayer({ url, prefix: prefix(), ...options }), {
  crossInstance: true,
});

// The same contract with own members served before Redis answers the PUBLISH.
describeChannelLayerContract(
  'RedisPubSubChannelLayer (localFirst)',
  async (options) => new RedisPubSubChannelLayer({ url, prefix: prefix(), localFirst: true, ...options }),
  { crossInstance: true },
);
