import { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { describeChannelLayerContract } from './channel-layer.contract';

// Two memory layers are separate worlds, so cross-instance delivery is not expected.
describeChannelLayerContract('InMemoryChannelLayer', async (options) => new InMemoryChannelLayer(options), {
  crossInstance: false,
});
