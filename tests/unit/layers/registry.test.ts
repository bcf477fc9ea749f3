import { InvalidChannelLayerConfig } from '../../../src/errors';
import type { ChannelLayer } from '../../../src/layers/channel-layer';
import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import {
  CHANNEL_LAYER_URL_ENV,
  closeChannelLayers,
  configureChannelLayers,
  createChannelLayer,
  getChannelLayer,
  registerLayerBackend,
  registeredLayerSchemes,
} from '../../../src/layers/registry';

const savedEnv = process.env[CHANNEL_LAYER_URL_ENV];

afterEach(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
  if (savedEnv === undefined) delete process.env[CHANNEL_LAYER_URL_ENV];
  else process.env[CHANNEL_LAYER_URL_ENV] = savedEnv;
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('getChannelLayer without configuration', () => {
  it('gives an embedded memory layer for default, once, and null for other aliases', () => {
    delete process.env[CHANNEL_LAYER_URL_ENV];
    const layer = getChannelLayer();
    expect(layer).toBeInstanceOf(InMemoryChannelLayer);
    expect(getChannelLayer('default')).toBe(layer);
    expect(getChannelLayer('other')).toBeNull();
  });

  it('builds default from CHANNEL_LAYER_URL, with query options', () => {
    process.env[CHANNEL_LAYER_URL_ENV] = 'memory://?capacity=7&expiry=30&group_expiry=90';
    const layer = getChannelLayer() as InMemoryChannelLayer;
    expect(layer).toBeInstanceOf(InMemoryChannelLayer);
    expect(layer.capacityOf('x')).toBe(7);
    expect(layer.expiry).toBe(30);
    expect(layer.groupExpiry).toBe(90);
  });

  it('throws InvalidChannelLayerConfig for an unusable CHANNEL_LAYER_URL', () => {
    process.env[CHANNEL_LAYER_URL_ENV] = 'nosuch://host';
    expect(() => getChannelLayer()).toThrow(InvalidChannelLayerConfig);
  });
});

describe('configureChannelLayers', () => {
  it('creates each alias lazily once, from URLs, objects and instances', () => {
    const given = new InMemoryChannelLayer();
    configureChannelLayers({
      default: 'memory://',
      tuned: { backend: 'memory', options: { capacity: 3 } },
      viaUrl: { url: 'memory://?capacity=4', options: { expiry: 5 } },
      given,
    });
    const first = getChannelLayer();
    expect(first).toBeInstanceOf(InMemoryChannelLayer);
    expect(getChannelLayer()).toBe(first);
    expect((getChannelLayer('tuned') as InMemoryChannelLayer).capacityOf('a')).toBe(3);
    const viaUrl = getChannelLayer('viaUrl') as InMemoryChannelLayer;
    expect([viaUrl.capacityOf('a'), viaUrl.expiry]).toEqual([4, 5]);
    expect(getChannelLayer('given')).toBe(given);
    expect(getChannelLayer('missing')).toBeNull();
  });

  it('lets code configuration win over the environment, and null go back to it', () => {
    process.env[CHANNEL_LAYER_URL_ENV] = 'memory://?capacity=9';
    configureChannelLayers({ other: 'memory://' });
    expect(getChannelLayer()).toBeNull();
    configureChannelLayers(null);
    expect((getChannelLayer() as InMemoryChannelLayer).capacityOf('x')).toBe(9);
  });

  it('options in the config win over the URL query', () => {
    const layer = createChannelLayer({ url: 'memory://?capacity=4', options: { capacity: 8 } }) as InMemoryChannelLayer;
    expect(layer.capacityOf('x')).toBe(8);
    return layer.close();
  });

  it('refuses to reconfigure while layers are open', async () => {
    configureChannelLayers({ default: 'memory://' });
    getChannelLayer();
    expect(codeOf(() => configureChannelLayers({ default: 'memory://' }))).toBe('ERR_INVALID_LAYER_CONFIG');
    await closeChannelLayers();
    expect(() => configureChannelLayers({ default: 'memory://' })).not.toThrow();
  });

  it('checks URLs and entry shapes up front', () => {
    expect(codeOf(() => configureChannelLayers({ default: 'not a url' }))).toBe('ERR_INVALID_LAYER_CONFIG');
    expect(codeOf(() => configureChannelLayers({ default: 42 as never }))).toBe('ERR_INVALID_LAYER_CONFIG');
    expect(codeOf(() => configureChannelLayers({ default: { url: '::' } }))).toBe('ERR_INVALID_LAYER_CONFIG');
  });
});

describe('closeChannelLayers', () => {
  it('closes every layer and recreates from the same configuration next time', async () => {
    const given = new InMemoryChannelLayer();
    configureChannelLayers({ default: 'memory://', given });
    const before = getChannelLayer() as InMemoryChannelLayer;
    await closeChannelLayers();
    expect(before.closed).toBe(true);
    expect(given.closed).toBe(true); // closed even though never fetched
    const after = getChannelLayer();
    expect(after).not.toBe(before);
    expect(after).toBeInstanceOf(InMemoryChannelLayer);
    // A closed instance cannot be reused, so its alias is gone.
    expect(getChannelLayer('given')).toBeNull();
  });
});

describe('createChannelLayer and backends', () => {
  it('names the registered schemes when the scheme is unknown', () => {
    try {
      createChannelLayer('nosuch://x');
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidChannelLayerConfig);
      expect((error as Error).message).toMatch(/"nosuch".*registered: .*memory/);
    }
  });

  it.each([
    ['not a url'],
    ['memory://?capacity=abc'],
    ['memory://?expiry='],
  ])('refuses %j with ERR_INVALID_LAYER_CONFIG', (url) => {
    expect(codeOf(() => createChannelLayer(url))).toBe('ERR_INVALID_LAYER_CONFIG');
  });

  it('refuses config objects without url or backend, or with bad fields', () => {
    expect(codeOf(() => createChannelLayer({}))).toBe('ERR_INVALID_LAYER_CONFIG');
    expect(codeOf(() => createChannelLayer({ backend: 5 as never }))).toBe('ERR_INVALID_LAYER_CONFIG');
    expect(codeOf(() => createChannelLayer({ backend: 'memory', options: 'x' as never }))).toBe('ERR_INVALID_LAYER_CONFIG');
  });

  it('passes bad option values through to the backend, which names them', () => {
    expect(codeOf(() => createChannelLayer('memory://?capacity=0'))).toBe('ERR_INVALID_OPTION');
  });

  it('registers a scheme (case and colon insensitive) and hands the factory the URL and merged options', async () => {
    const calls: Array<{ href: string; options: unknown }> = [];
    registerLayerBackend('Test-Scheme:', (url, options) => {
      calls.push({ href: url.href, options });
      return new InMemoryChannelLayer({ capacity: options.capacity });
    });
    expect(registeredLayerSchemes()).toEqual(expect.arrayContaining(['memory', 'test-scheme']));
    const layer: ChannelLayer = createChannelLayer({ url: 'test-scheme://h:1/0?capacity=2&prefix=p', options: { extra: true } });
    expect(calls).toEqual([{ href: 'test-scheme://h:1/0?capacity=2&prefix=p', options: { capacity: 2, extra: true } }]);
    const viaBackend = createChannelLayer({ backend: 'TEST-SCHEME' });
    expect(calls[1]!.href).toBe('test-scheme://');
    await Promise.all([layer.close(), viaBackend.close()]);
  });

  it('loads the Redis module for a redis* scheme on demand, and still refuses a scheme nobody registers', () => {
    expect(codeOf(() => createChannelLayer('redisx://127.0.0.1'))).toBe('ERR_INVALID_LAYER_CONFIG');
  });

  it('refuses to register a bad scheme or a non-function', () => {
    expect(codeOf(() => registerLayerBackend('1bad', () => new InMemoryChannelLayer()))).toBe('ERR_INVALID_LAYER_CONFIG');
    expect(codeOf(() => registerLayerBackend('ok', 'nope' as never))).toBe('ERR_INVALID_LAYER_CONFIG');
  });
});
