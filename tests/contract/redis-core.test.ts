import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { prefixPerTest } from '../helpers/redis-keys';
import { describeChannelLayerContract } from './channel-layer.contract';

const url = process.env.REDIS_URL!;
const prefix = prefixPerTest('core', url);

describeChannelLayerContract('RedisChannelLayer', async (options) => new RedisChannelLayer({ url, prefix: prefix(), ...options }), {
  crossInstance: true,
});
