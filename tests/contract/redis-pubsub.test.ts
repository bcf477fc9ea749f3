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

// The same contract with groupSend resolving once the PUBLISH is written (named
// members are pushed in the background: their drops come as later events).
describeChannelLayerContract(
  "RedisPubSubChannelLayer (publishAck 'written')",
  async (options) => new RedisPubSubChannelLayer({ url, prefix: prefix(), publishAck: 'written', ...options }),
  { crossInstance: true, namedDropsLater: true },
);
