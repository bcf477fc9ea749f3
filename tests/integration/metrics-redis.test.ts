/**
 * A Redis outage shows in /metrics: layer_up drops to 0, disconnects and
 * reconnects count, and the unavailable time covers the outage.
 */
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { closeChannelLayers, configureChannelLayers, getChannelLayer } from '../../src/layers/registry';
import { closeAll, startServer, type StartedServer } from '../helpers';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';
import { nextEvent, testPrefix } from './redis-helpers';

async function metric(server: StartedServer, name: string): Promise<number> {
  const families = parsePrometheusText(await (await fetch(`${server.httpUrl}/metrics`)).text());
  return sampleValue(families, name, { layer: 'default' }) ?? 0;
}

let redis: ThrowawayRedis | undefined;
afterEach(async () => {
  await closeAll();
  await closeChannelLayers();
  configureChannelLayers(null);
  await redis?.stop();
});

it('a killed redis-server shows in layer_up, reconnects and unavailable time', async () => {
  redis = await startThrowawayRedis();
  const layer = new RedisChannelLayer({
    url: redis.url,
    prefix: testPrefix('metrics'),
    retryMinDelay: 50,
    retryMaxDelay: 300,
    connectTimeout: 2000,
    commandTimeout: 1000,
    blockTimeout: 1,
  });
  // On a loaded machine the first connection attempt may time out: that is an outage too; start from a live layer.
  const firstUp = nextEvent(layer, 'reconnected', 10_000).catch(() => undefined);
  configureChannelLayers({ default: layer });
  getChannelLayer();
  const server = await startServer(async () => undefined, { metrics: { defaultMetrics: false } });
  await layer.newChannel();
  if ((await metric(server, 'switchyard_layer_up')) === 0) await firstUp;
  expect(await metric(server, 'switchyard_layer_up')).toBe(1);
  const reconnects = await metric(server, 'switchyard_layer_reconnects_total');
  const disconnects = await metric(server, 'switchyard_layer_disconnects_total');
  const unavailableBefore = await metric(server, 'switchyard_layer_unavailable_seconds_total');

  const down = nextEvent(layer, 'disconnected');
  const killedAt = performance.now();
  redis.process.kill('SIGKILL');
  await down;
  expect(await metric(server, 'switchyard_layer_up')).toBe(0);
  expect(await metric(server, 'switchyard_layer_disconnects_total')).toBe(disconnects + 1);

  const up = nextEvent(layer, 'reconnected');
  redis = await startThrowawayRedis([], redis.port);
  await up;
  const outageSeconds = (performance.now() - killedAt) / 1000;
  expect(await metric(server, 'switchyard_layer_up')).toBe(1);
  expect(await metric(server, 'switchyard_layer_reconnects_total')).toBe(reconnects + 1);
  const unavailable = await metric(server, 'switchyard_layer_unavailable_seconds_total');
  expect(unavailable - unavailableBefore).toBeGreaterThan(0);
  expect(unavailable - unavailableBefore).toBeLessThanOrEqual(outageSeconds);
  // Counted once: later scrapes no longer grow it.
  expect(await metric(server, 'switchyard_layer_unavailable_seconds_total')).toBe(unavailable);
}, 30_000);
