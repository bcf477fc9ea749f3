/**
 * The dashboard: refused without its token, rendered in Chromium, and its
 * numbers equal /metrics after a scripted load.
 *
 * DASHBOARD_SCREENSHOT=1 npx jest tests/integration/dashboard.test.ts
 * also runs a longer, uneven load and saves docs/images/dashboard.png.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Application } from '../../src/application';
import { WebsocketConsumer } from '../../src/consumers';
import { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers, getChannelLayer } from '../../src/layers/registry';
import { PresenceTracker } from '../../src/presence';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path as route } from '../../src/routing/url-router';
import { launchBrowser, type Browser } from '../demo/browser';
import { closeAll, connectClient, startServer, tryConnect, waitFor, type StartedServer, type TestClient } from '../helpers';
import { parsePrometheusText, type ParsedFamily } from '../helpers/prometheus-text';

// The functions passed to the page run there; the tsconfig has no DOM library, so what they use is declared here.
interface DomElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  children: ArrayLike<DomElement>;
}
declare const document: {
  body: DomElement;
  querySelectorAll(selector: string): Iterable<DomElement> & ArrayLike<DomElement>;
  getElementById(id: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
};

let presence: PresenceTracker;

class RoomConsumer extends WebsocketConsumer {
  room = '';
  override async connect(): Promise<void> {
    const { room } = this.scope.urlRoute!.kwargs as { room: string };
    this.room = `room.${room}`;
    await this.groupAdd(this.room);
    await this.accept();
    await presence.track(this.room, `user-${this.channelName.slice(-6)}`, this.channelName);
  }
  override async receive(text?: string): Promise<void> {
    await this.groupSend(this.room, { type: 'room.message', text: text ?? '' });
  }
  async roomMessage(event: { text: string }): Promise<void> {
    await this.send(event.text);
  }
  override async disconnect(): Promise<void> {
    await presence.untrackConnection(this.channelName);
  }
}

const app: Application = ProtocolTypeRouter({ websocket: URLRouter([route('ws/room/<room>/', RoomConsumer.asApp())]) });
const TOKEN = 'test-dashboard-token-0123456789';

async function scrape(server: StartedServer): Promise<Map<string, ParsedFamily>> {
  return parsePrometheusText(await (await fetch(`${server.httpUrl}/metrics`)).text());
}
function total(families: Map<string, ParsedFamily>, name: string): number {
  return (families.get(name)?.samples ?? []).filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
}

/** Clients in rooms of different sizes; each sends `messages` and waits for every echo of its room. */
async function load(server: StartedServer, rooms: Record<string, number>, messages: number): Promise<TestClient[]> {
  const clients: Array<[TestClient, number]> = [];
  for (const [room, size] of Object.entries(rooms)) {
    for (let i = 0; i < size; i++) clients.push([await connectClient(`${server.url}/ws/room/${room}/`), size]);
  }
  for (let m = 0; m < messages; m++) {
    for (const [client] of clients) client.send(`m${m}`);
    // Each client hears every message of its room once.
    await Promise.all(clients.map(async ([client, size]) => {
      for (let k = 0; k < size; k++) await client.nextText();
    }));
  }
  return clients.map(([client]) => client);
}

let browser: Browser | null = null;
let layer: InMemoryChannelLayer;
beforeEach(async () => {
  await closeChannelLayers();
  layer = new InMemoryChannelLayer({ capacity: 1000 });
  configureChannelLayers({ default: layer });
  getChannelLayer();
  presence = new PresenceTracker(layer, { heartbeatMs: 1000 });
  await presence.ready();
});
afterEach(async () => {
  await browser?.close();
  browser = null;
  await closeAll();
  await presence.close();
  await closeChannelLayers();
  configureChannelLayers(null);
});

it('refuses the page and its websocket without the right token', async () => {
  const server = await startServer(app, { dashboard: { token: TOKEN, intervalMs: 200 } });
  expect((await fetch(`${server.httpUrl}/dashboard`)).status).toBe(401);
  expect((await fetch(`${server.httpUrl}/dashboard?token=wrong-token-of-some-length`)).status).toBe(403);
  const page = await fetch(`${server.httpUrl}/dashboard?token=${TOKEN}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(await page.text()).toContain('Live dashboard');
  const none = await tryConnect(`${server.url}/dashboard/ws`);
  expect(none.ok ? 101 : none.status).toBe(401);
  const wrong = await tryConnect(`${server.url}/dashboard/ws?token=nope-nope-nope-nope`);
  expect(wrong.ok ? 101 : wrong.status).toBe(403);
  const right = await connectClient(`${server.url}/dashboard/ws?token=${TOKEN}`);
  const snapshot = JSON.parse(await right.nextText()) as { process: { pid: number } };
  expect(snapshot.process.pid).toBe(process.pid);
  await right.close();
});

it('generates a token when none is given and puts it in dashboardUrl()', async () => {
  const server = await startServer(app, { dashboard: true });
  const url = server.server.dashboardUrl()!;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\?token=[\w-]{32}$/);
  expect((await fetch(url)).status).toBe(200);
});

it('renders in Chromium and shows the same numbers as /metrics after a scripted load', async () => {
  const screenshot = process.env.DASHBOARD_SCREENSHOT === '1';
  const server = await startServer(app, { metrics: true, dashboard: { token: TOKEN, intervalMs: 250 } });
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${server.httpUrl}/dashboard?token=${TOKEN}`);
  await page.waitForFunction(() => document.body.dataset.state === 'live', undefined, { timeout: 10_000 });

  const clients = await load(server, { lobby: 6, 'design-review': 4, 'on-call': 2 }, 5);
  if (screenshot) {
    // An uneven minute of traffic, so the charts have a shape; the picture is taken while it flows.
    const extra: TestClient[] = [];
    for (let round = 0; round < 110; round++) {
      if (round % 10 === 0 && extra.length < 9) extra.push(await connectClient(`${server.url}/ws/room/standup-${extra.length % 3}/`));
      const burst = 2 + Math.round(6 * Math.abs(Math.sin(round / 9)));
      for (let b = 0; b < burst; b++) for (const client of clients) client.send(`r${round}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (round === 100) await page.screenshot({ path: path.join(__dirname, '..', '..', 'docs', 'images', 'dashboard.png'), fullPage: true });
    }
    for (const client of extra) await client.close();
    await waitFor(() => server.server.connectionCount === 13, 5000, 'the extra clients released');
  }

  // Quiet now: the next snapshots carry final counters. Wait until the page shows what /metrics says.
  const families = await scrape(server);
  const expected = {
    in: total(families, 'switchyard_websocket_messages_received_total'),
    deliveries: total(families, 'switchyard_layer_deliveries_total'),
    refused: 0,
  };
  expect(expected.in).toBeGreaterThanOrEqual(60);
  await page.waitForFunction(
    (want) => document.getElementById('k-in')!.dataset.total === String(want),
    expected.in,
    { timeout: 10_000 },
  );
  const shown = await page.evaluate(() => ({
    connections: Number(document.getElementById('k-conn')!.dataset.total),
    in: Number(document.getElementById('k-in')!.dataset.total),
    deliveries: Number(document.getElementById('k-del')!.dataset.total),
    drops: Number(document.getElementById('k-drops')!.dataset.total),
    groups: Array.from(document.querySelectorAll('#t-groups tr')).map((row) => [row.children[0]!.textContent, Number(row.children[1]!.dataset.members)]),
    presence: Array.from(document.querySelectorAll('#t-presence tr')).map((row) => [row.children[0]!.textContent, Number(row.children[1]!.dataset.members)]),
    layer: document.querySelector('#t-layers tr[data-layer="default"]')?.textContent ?? '',
  }));
  const after = await scrape(server);
  expect(shown.in).toBe(total(after, 'switchyard_websocket_messages_received_total'));
  // Deliveries keep moving by one per dashboard snapshot (the page's own feed): equal to /metrics within that.
  expect(Math.abs(shown.deliveries - total(after, 'switchyard_layer_deliveries_total'))).toBeLessThanOrEqual(8);
  expect(shown.connections).toBe(total(after, 'switchyard_connections_open'));
  expect(shown.connections).toBe(13); // 12 clients and the dashboard's own socket
  expect(shown.drops).toBe(total(after, 'switchyard_layer_dropped_total'));
  expect(shown.groups).toEqual([['room.lobby', 6], ['room.design-review', 4], ['room.on-call', 2]]);
  expect(shown.presence).toEqual([['room.lobby', 6], ['room.design-review', 4], ['room.on-call', 2]]);
  expect(shown.layer).toContain('up');

  if (!screenshot) await page.screenshot({ path: path.join(os.tmpdir(), `dashboard-${process.pid}.png`), fullPage: true });
  for (const client of clients) await client.close();
}, 150_000);
