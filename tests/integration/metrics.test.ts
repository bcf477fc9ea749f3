/**
 * `metrics: true`: every metric family moves when its event happens, the
 * exposition passes a strict parser, and label cardinality does not grow
 * with the number of rooms.
 */
import type { Application } from '../../src/application';
import { WebsocketConsumer } from '../../src/consumers';
import { CloseCode } from '../../src/close-codes';
import { DenyConnection } from '../../src/errors';
import { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers, getChannelLayer } from '../../src/layers/registry';
import { RateLimitMiddleware } from '../../src/middleware/rate-limit';
import { PresenceTracker } from '../../src/presence';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path } from '../../src/routing/url-router';
import { setConnectionProtocol } from '../../src/metrics/connection-tag';
import { closeAll, connectClient, deferred, handshakeRequest, rawConnect, startServer, tryConnect, waitFor, type StartedServer } from '../helpers';
import { parsePrometheusText, sampleValue, seriesKeys, type ParsedFamily } from '../helpers/prometheus-text';

class RoomConsumer extends WebsocketConsumer {
  room = '';
  override async connect(): Promise<void> {
    const room = String((this.scope.urlRoute?.kwargs as { room: string }).room);
    if (room === 'forbidden') throw new DenyConnection(403, 'no entry');
    if (room.startsWith('phx')) setConnectionProtocol(this.scope, 'phoenix');
    this.room = `room.${room}`;
    await this.groupAdd(this.room);
    await this.accept();
  }
  override async receive(text?: string): Promise<void> {
    if (text === 'unknown') {
      await this.channelSend(this.channelName, { type: 'no.such.handler' });
      return;
    }
    await this.groupSend(this.room, { type: 'room.message', text: text ?? '' });
  }
  async roomMessage(event: { text: string }): Promise<void> {
    await this.send(event.text);
  }
}

function app(): Application {
  return ProtocolTypeRouter({
    websocket: URLRouter([
      path('ws/room/<room>/', RoomConsumer.asApp()),
      path('ws/limited/', RateLimitMiddleware(RoomConsumer.asApp(), { messagesPerSecond: 1, burst: 1, onLimit: 'error-frame' })),
    ]),
  });
}

async function scrape(server: StartedServer, path = '/metrics'): Promise<Map<string, ParsedFamily>> {
  const response = await fetch(`${server.httpUrl}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

const value = (f: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number =>
  sampleValue(f, name, labels) ?? 0;

let layer: InMemoryChannelLayer;
beforeEach(async () => {
  await closeChannelLayers();
  layer = new InMemoryChannelLayer({ capacity: 2 });
  configureChannelLayers({ default: layer });
  getChannelLayer();
});
afterEach(async () => {
  await closeAll();
  await closeChannelLayers();
  configureChannelLayers(null);
});

describe('/metrics', () => {
  it('is off by default and opt-in with metrics: true', async () => {
    const off = await startServer(app());
    expect((await fetch(`${off.httpUrl}/metrics`)).status).not.toBe(200);
    const on = await startServer(app(), { metrics: true });
    const families = await scrape(on);
    for (const name of ['switchyard_connections_open', 'switchyard_handshakes_total', 'switchyard_layer_dropped_total', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(families.has(name)).toBe(true);
    }
    expect(families.get('switchyard_handshakes_total')!.type).toBe('counter');
    expect(families.get('switchyard_handler_duration_seconds')!.type).toBe('histogram');
  });

  it('counts connections by route pattern and protocol, handshakes, messages and wire bytes', async () => {
    const server = await startServer(app(), { metrics: true });
    const before = await scrape(server);
    const a = await connectClient(`${server.url}/ws/room/alpha/`);
    const b = await connectClient(`${server.url}/ws/room/phx-beta/`);
    a.send('hello');
    expect(await a.nextText()).toBe('hello');
    const during = await scrape(server);
    expect(value(during, 'switchyard_connections_open', { route: 'ws/room/<room>/', protocol: 'websocket' })).toBe(1);
    expect(value(during, 'switchyard_connections_open', { route: 'ws/room/<room>/', protocol: 'phoenix' })).toBe(1);
    const accepted = { outcome: 'accepted', reason: 'none' };
    expect(value(during, 'switchyard_handshakes_total', accepted) - value(before, 'switchyard_handshakes_total', accepted)).toBe(2);
    expect(value(during, 'switchyard_websocket_messages_received_total') - value(before, 'switchyard_websocket_messages_received_total')).toBe(1);
    expect(value(during, 'switchyard_websocket_messages_sent_total') - value(before, 'switchyard_websocket_messages_sent_total')).toBe(1);
    expect(value(during, 'switchyard_websocket_received_bytes_total') - value(before, 'switchyard_websocket_received_bytes_total')).toBeGreaterThan(5);
    expect(value(during, 'switchyard_websocket_sent_bytes_total') - value(before, 'switchyard_websocket_sent_bytes_total')).toBeGreaterThan(5);
    expect(value(during, 'switchyard_layer_group_sends_total', { layer: 'default' }) - value(before, 'switchyard_layer_group_sends_total', { layer: 'default' })).toBe(1);
    expect(value(during, 'switchyard_layer_deliveries_total', { layer: 'default' }) - value(before, 'switchyard_layer_deliveries_total', { layer: 'default' })).toBe(1);
    expect(value(during, 'switchyard_handler_duration_seconds_count', { event_type: 'room.message' })).toBeGreaterThan(0);
    expect(value(during, 'switchyard_layer_operation_duration_seconds_count', { layer: 'default', operation: 'group_add' })).toBeGreaterThan(0);

    await a.close();
    await b.close();
    await waitFor(() => server.server.connectionCount === 0, 5000, 'both connections released');
    const after = await scrape(server);
    expect(value(after, 'switchyard_connections_open', { route: 'ws/room/<room>/', protocol: 'websocket' })).toBe(0);
    expect(value(after, 'switchyard_connections_open', { route: 'ws/room/<room>/', protocol: 'phoenix' })).toBe(0);
  });

  it('counts refused handshakes by reason', async () => {
    const server = await startServer(app(), { metrics: true, maxConnections: 1 });
    const before = await scrape(server);
    const denied = await tryConnect(`${server.url}/ws/room/forbidden/`);
    expect(denied.ok).toBe(false);
    const missing = await tryConnect(`${server.url}/ws/nowhere/`);
    expect(missing.ok).toBe(false);
    const holder = await connectClient(`${server.url}/ws/room/one/`);
    const busy = await tryConnect(`${server.url}/ws/room/two/`);
    expect(busy.ok ? 101 : busy.status).toBe(503);
    const after = await scrape(server);
    const delta = (reason: string): number =>
      value(after, 'switchyard_handshakes_total', { outcome: 'refused', reason }) - value(before, 'switchyard_handshakes_total', { outcome: 'refused', reason });
    expect(delta('forbidden')).toBe(1);
    expect(delta('not_found')).toBe(1);
    expect(delta('busy')).toBe(1);
    await holder.close();
  });

  it('counts ChannelFull drops, events without a handler and rate-limit hits', async () => {
    const server = await startServer(app(), { metrics: true });
    const before = await scrape(server);
    // A member that never reads: capacity 2, so the third group send drops it.
    await layer.groupAdd('room.full', 'specific.nobody!x');
    for (let i = 0; i < 3; i++) await layer.groupSend('room.full', { type: 'room.message', text: String(i) });
    await expect(layer.send('specific.nobody!x', { type: 'x' })).rejects.toThrow('full');
    const client = await connectClient(`${server.url}/ws/room/handlers/`);
    client.send('unknown');
    const limited = await connectClient(`${server.url}/ws/limited/`);
    limited.send('one');
    limited.send('two');
    // The error frame goes out at once; 'one' takes the trip through the layer.
    const texts = [await limited.nextText(), await limited.nextText()];
    expect(texts).toContain('one');
    expect(texts.some((text) => text.includes('ERR_RATE_LIMITED'))).toBe(true);
    // The consumer's own channel is FIFO: once the echo of 'ping' is back, the unhandled event was dispatched.
    client.send('ping');
    expect(await client.nextText()).toBe('ping');
    const after = await scrape(server);
    expect(value(after, 'switchyard_layer_dropped_total', { layer: 'default', reason: 'channel_full' }) - value(before, 'switchyard_layer_dropped_total', { layer: 'default', reason: 'channel_full' })).toBe(2);
    expect(value(after, 'switchyard_events_unhandled_total', { event_type: 'no.such.handler' }) - value(before, 'switchyard_events_unhandled_total', { event_type: 'no.such.handler' })).toBe(1);
    expect(value(after, 'switchyard_rate_limit_hits_total', { action: 'error_frame' }) - value(before, 'switchyard_rate_limit_hits_total', { action: 'error_frame' })).toBe(1);
    await client.close();
    await limited.close();
  });

  it('counts slow-client closes', async () => {
    const CHUNK = 'y'.repeat(16 * 1024);
    const finished = deferred();
    const flood: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      let open = true;
      const watcher = receive().then(() => (open = false));
      for (let i = 0; open && i < 4096; i++) {
        await send({ type: 'websocket.send', text: CHUNK });
        await new Promise((resolve) => setImmediate(resolve));
      }
      await watcher;
      finished.resolve();
    };
    const server = await startServer(flood, { metrics: true, maxBufferedBytes: 64 * 1024, closeTimeout: 500 });
    const before = await scrape(server);
    const raw = await rawConnect(server.port);
    raw.write(handshakeRequest('/ws/'));
    expect((await raw.readHttpHead()).status).toBe(101);
    raw.pause();
    await finished.promise;
    const after = await scrape(server);
    expect(value(after, 'switchyard_slow_client_closes_total') - value(before, 'switchyard_slow_client_closes_total')).toBe(1);
    raw.destroy();
    expect(CloseCode.SLOW_CONSUMER).toBe(4008);
  });

  it('reports presence members', async () => {
    const server = await startServer(app(), { metrics: true });
    const tracker = new PresenceTracker(layer, { heartbeatMs: 1000 });
    try {
      await tracker.track('room.a', 'ann', 'c1');
      await tracker.track('room.a', 'bob', 'c2');
      await tracker.track('room.b', 'ann', 'c3');
      const families = await scrape(server);
      expect(value(families, 'switchyard_presence_members')).toBe(3);
      expect(value(families, 'switchyard_presence_groups')).toBe(2);
    } finally {
      await tracker.close();
    }
    expect(value(await scrape(server), 'switchyard_presence_members')).toBe(0);
  });

  it('keeps label cardinality fixed under 1,000 distinct rooms', async () => {
    const server = await startServer(app(), { metrics: true });
    const run = async (from: number, count: number): Promise<void> => {
      for (let start = from; start < from + count; start += 50) {
        const batch = Array.from({ length: Math.min(50, from + count - start) }, (_, i) => start + i);
        const clients = await Promise.all(batch.map((n) => connectClient(`${server.url}/ws/room/r${n}/`)));
        await Promise.all(clients.map(async (client, i) => {
          client.send(`m${batch[i]}`);
          await client.nextText();
        }));
        await Promise.all(clients.map((client) => client.close()));
      }
    };
    await run(0, 10);
    const small = seriesKeys(await scrape(server));
    await run(10, 1000);
    const large = seriesKeys(await scrape(server));
    const grown = [...large].filter((key) => !small.has(key) && !key.startsWith('nodejs_') && !key.startsWith('process_'));
    expect(grown).toEqual([]);
    for (const key of large) expect(key).not.toMatch(/r\d+|room\.r/);
  }, 60_000);

  it('can be served on a separate port, with its own path and prefix', async () => {
    const server = await startServer(app(), { metrics: { port: 0, path: '/internal/metrics', prefix: 'chat_', defaultMetrics: false } });
    expect((await fetch(`${server.httpUrl}/internal/metrics`)).status).not.toBe(200);
    const port = server.server.metricsAddress()!.port;
    const response = await fetch(`http://127.0.0.1:${port}/internal/metrics`);
    const families = parsePrometheusText(await response.text());
    expect(families.has('chat_connections_open')).toBe(true);
    expect(families.has('nodejs_eventloop_lag_seconds')).toBe(false);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});

describe('without prom-client', () => {
  it('metrics: true fails with an error naming the package', () => {
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => {
        const error = new Error("Cannot find module 'prom-client'") as Error & { code: string };
        error.code = 'MODULE_NOT_FOUND';
        throw error;
      });
      const { createServer } = require('../../src/server/server') as typeof import('../../src/server/server');
      let thrown: unknown;
      try {
        createServer(async () => undefined, { metrics: true });
      } catch (error) {
        thrown = error;
      }
      expect((thrown as { code?: string }).code).toBe('ERR_MISSING_PEER_DEPENDENCY');
      expect((thrown as Error).message).toContain('npm install prom-client');
      jest.dontMock('prom-client');
    });
  });
});
