/**
 * Loud configuration: each misconfiguration fails when the layer is
 * configured (or when the server is created), naming the bad part, and a
 * misspelt CHANNEL_LAYER_URL gets a warning.
 */
import { InvalidChannelLayerConfig } from '../../../src/errors';
import { editDistance, misspelledLayerVariables, warnMisspelledLayerVariables } from '../../../src/layers/env-spelling';
import {
  CHANNEL_LAYER_URL_ENV,
  checkChannelLayerUrl,
  closeChannelLayers,
  configureChannelLayers,
} from '../../../src/layers/registry';
import { RedisChannelLayer } from '../../../src/layers/redis';
import { createLogger } from '../../../src/logging/line-logger';
import { createServer } from '../../../src/server/server';

function failure(run: () => unknown): InvalidChannelLayerConfig {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidChannelLayerConfig);
    return error as InvalidChannelLayerConfig;
  }
  throw new Error('expected InvalidChannelLayerConfig');
}

function lines(): { stream: { write(chunk: string): boolean }; text: () => string } {
  let text = '';
  return { stream: { write: (chunk: string) => ((text += chunk), true) }, text: () => text };
}

describe('layer URLs are checked when configured', () => {
  const saved = process.env[CHANNEL_LAYER_URL_ENV];
  afterEach(async () => {
    await closeChannelLayers();
    configureChannelLayers(null);
    if (saved === undefined) delete process.env[CHANNEL_LAYER_URL_ENV];
    else process.env[CHANNEL_LAYER_URL_ENV] = saved;
  });

  it.each([
    ['a malformed URL', 'redis//127.0.0.1:6379', 'url'],
    ['an unknown scheme', 'reddis://127.0.0.1:6379', 'scheme'],
    ['an unknown query key (memory)', 'memory://?capacty=10', 'query'],
    ['an unknown query key (redis)', 'redis://127.0.0.1:6379/0?prefx=chat', 'query'],
    ['a database that is not a number', 'redis://127.0.0.1:6379/main', 'database'],
    ['a negative database', 'redis://127.0.0.1:6379/-1', 'database'],
    ['a database with a trailing slash', 'redis://127.0.0.1:6379/2/', 'database'],
    ['a bad layer kind', 'redis://127.0.0.1:6379/0?layer=fast', 'query'],
    ['an extra host that is not a Redis URL', 'redis://a:6379/0?host=http://b:6379', 'host'],
  ])('%s fails at configureChannelLayers, naming the part', (_what, url, part) => {
    const error = failure(() => configureChannelLayers({ default: url }));
    expect(error.code).toBe('ERR_INVALID_LAYER_CONFIG');
    expect(error.part).toBe(part);
    expect(error.message).toContain('"default"');
  });

  it('names the unknown key and lists the known ones', () => {
    const error = failure(() => checkChannelLayerUrl('redis://127.0.0.1:6379/0?capcity=5'));
    expect(error.message).toMatch(/unknown query key "capcity".*known keys: capacity, expiry/);
  });

  it('accepts every documented form, and never prints a password', () => {
    for (const url of [
      'memory://',
      'memory://?capacity=5&group_expiry=60',
      'redis://127.0.0.1:6379',
      'redis://127.0.0.1:6379/',
      'redis://:pw@127.0.0.1:6379/15?prefix=chat&capacity=100',
      'redis+pubsub://127.0.0.1:6379/0?cluster=1&host=redis://127.0.0.1:6380',
      'rediss://127.0.0.1:6380/3?layer=core',
    ]) {
      expect(() => checkChannelLayerUrl(url)).not.toThrow();
    }
    const error = failure(() => checkChannelLayerUrl('redis://:hunter2@127.0.0.1:6379/x'));
    expect(error.message).not.toContain('hunter2');
  });

  it('checks the database syntax of layers built in code too', () => {
    expect(() => new RedisChannelLayer({ url: 'redis://127.0.0.1:6379/db1' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_LAYER_CONFIG', part: 'database' }),
    );
  });

  it('a malformed CHANNEL_LAYER_URL fails at createServer, before anything listens', () => {
    process.env[CHANNEL_LAYER_URL_ENV] = 'redis://127.0.0.1:6379/0?bogus=1';
    const error = failure(() => createServer(async () => undefined));
    expect(error.part).toBe('query');
    expect(error.message).toMatch(/^CHANNEL_LAYER_URL: /);
  });
});

describe('misspellings of CHANNEL_LAYER_URL', () => {
  it('finds near misses within two edits, any case, and nothing else', () => {
    expect(editDistance('CHANNEL_LAYERS_URL', 'CHANNEL_LAYER_URL')).toBe(1);
    expect(
      misspelledLayerVariables({
        CHANNEL_LAYERS_URL: 'redis://x',
        CHANNELS_LAYER_URL: 'redis://x',
        channel_layer_url: 'redis://x',
        CHANEL_LAYER_URI: 'x',
        CHANNEL_LAYER_URL: 'memory://',
        REDIS_URL: 'redis://x',
        CHANNEL_NAME: 'x',
      }),
    ).toEqual(['CHANEL_LAYER_URI', 'CHANNELS_LAYER_URL', 'CHANNEL_LAYERS_URL', 'channel_layer_url']);
  });

  it('warns once per variable, saying the in-memory layer is used when the right one is missing', () => {
    const out = lines();
    const log = createLogger({ stream: out.stream, env: {} });
    warnMisspelledLayerVariables({ CHANNEL_LAYERS_URL: 'redis://127.0.0.1:6379' }, log);
    warnMisspelledLayerVariables({ CHANNEL_LAYERS_URL: 'redis://127.0.0.1:6379' }, log);
    expect(out.text().trim().split('\n')).toEqual([
      '[switchyard] WARN environment variable CHANNEL_LAYERS_URL looks like a misspelling of CHANNEL_LAYER_URL and is ignored; ' +
        'without CHANNEL_LAYER_URL this process uses the embedded in-memory layer, which no other process shares',
    ]);
  });

  it('a server warns at startup and names the embedded layer it falls back to', async () => {
    process.env.CHANNELS_LAYER_URL = 'redis://127.0.0.1:6379';
    const out = lines();
    const server = createServer(async () => undefined, { logger: createLogger({ stream: out.stream, env: {} }) });
    try {
      await server.listen(0, '127.0.0.1');
      const text = out.text();
      expect(text).toContain('WARN environment variable CHANNELS_LAYER_URL looks like a misspelling of CHANNEL_LAYER_URL');
      expect(text).toContain('[switchyard] channel layer: InMemoryChannelLayer (embedded, this process only; set CHANNEL_LAYER_URL to share)');
      expect(text).toMatch(/\[switchyard\] listening on http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      delete process.env.CHANNELS_LAYER_URL;
      await server.close({ timeoutMs: 1000 });
    }
  });
});
