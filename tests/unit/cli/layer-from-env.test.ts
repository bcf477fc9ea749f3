import { configureDefaultLayer, defaultLayer, describeLayer, layerSourceFromEnv, probeLayer } from '../../../src/cli/layer-from-env';
import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';

describe('layer from the environment', () => {
  afterEach(async () => {
    await closeChannelLayers();
    configureChannelLayers(null);
  });

  it('CHANNEL_LAYER_URL wins over REDIS_URL; REDIS_URL alone is used; neither means embedded', () => {
    expect(layerSourceFromEnv({ CHANNEL_LAYER_URL: 'memory://', REDIS_URL: 'redis://x' })).toEqual({
      url: 'memory://',
      variable: 'CHANNEL_LAYER_URL',
    });
    expect(layerSourceFromEnv({ REDIS_URL: ' redis://h:6379 ' })).toEqual({ url: 'redis://h:6379', variable: 'REDIS_URL' });
    expect(layerSourceFromEnv({ CHANNEL_LAYER_URL: '' })).toEqual({ url: undefined, variable: undefined });
  });

  it('configures the default alias from a URL', () => {
    configureDefaultLayer({ url: 'memory://?capacity=7', variable: 'CHANNEL_LAYER_URL' });
    const layer = defaultLayer();
    expect(layer).toBeInstanceOf(InMemoryChannelLayer);
    expect(describeLayer(layer!, { url: 'memory://?capacity=7', variable: 'CHANNEL_LAYER_URL' })).toBe(
      'InMemoryChannelLayer at memory://?capacity=7 (from CHANNEL_LAYER_URL)',
    );
  });

  it('refuses a REDIS_URL that is not redis, and an unparsable URL, without printing the password', () => {
    expect(() => configureDefaultLayer({ url: 'http://u:pw@x', variable: 'REDIS_URL' })).toThrow(/REDIS_URL must be a redis:\/\/.*u:\*\*\*@x/);
    expect(() => configureDefaultLayer({ url: 'nonsense', variable: 'CHANNEL_LAYER_URL' })).toThrow(/is not a URL/);
  });

  it('describes the embedded layer and redacts passwords', () => {
    const layer = new InMemoryChannelLayer();
    expect(describeLayer(layer, { url: undefined, variable: undefined })).toMatch(/embedded, this process only/);
    expect(describeLayer(layer, { url: 'redis://:s3cret@h:1/0', variable: 'REDIS_URL' })).toBe(
      'InMemoryChannelLayer at redis://:***@h:1/0 (from REDIS_URL)',
    );
    void layer.close();
  });

  it('probeLayer reports a layer that fails or does not answer', async () => {
    const layer = new InMemoryChannelLayer();
    expect(await probeLayer(layer)).toBeUndefined();
    const failing = { groupMembers: () => Promise.reject(new Error('connection refused')) };
    expect(await probeLayer(failing as never)).toBe('connection refused');
    const silent = { groupMembers: () => new Promise(() => undefined) };
    expect(await probeLayer(silent as never, 20)).toBe('no answer within 20 ms');
    await layer.close();
  });
});
