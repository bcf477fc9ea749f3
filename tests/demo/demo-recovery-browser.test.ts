/**
 * Recovery in a real browser: two demo processes on Redis (a throwaway key
 * prefix), the room page connected to process A, A killed with SIGKILL and
 * restarted on the same port while a client of process B keeps sending. The
 * page (phoenix.js plus switchyard-channels/client) rejoins with its last
 * position and shows every message exactly once, in order: counted in the DOM.
 * A newcomer sees the last 50. On the in-memory layer a restart loses the
 * history: the page shows its notice.
 */
import type { Page } from 'playwright-core';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { closeAll, type TestClient } from '../helpers';
import { scaled } from '../setup/calibrate';
import { launchBrowser, type Browser } from './browser';
import { joinRoom, nextChat } from './demo-clients';
import { cleanEnv, spawnNode, startDemoProcess, stopAll, type Child } from './processes';
import { redisLayerUrl } from './redis-url';
import { lines, openRoom, pageErrors, waitForLastLine } from './room-page';

jest.setTimeout(scaled(120_000));

const ROOM = 'recovery';
const TOTAL = 60;

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stopAll();
});

/** Send `m <n>` from the tutorial client and wait for its own echo (so every send is in before the next). */
async function sendLine(writer: TestClient, n: number): Promise<void> {
  writer.sendJson({ message: `m ${n}` });
  for (;;) {
    const frame = await nextChat(writer, 20_000);
    if (frame.message === `m ${n}`) return;
  }
}

async function pageState(page: Page): Promise<string | null> {
  return page.getAttribute('#status', 'data-state');
}

it('a page on a process that is killed and restarted gets every message exactly once, in order', async () => {
  const { url: layerUrl, prefix } = redisLayerUrl('demo-recovery-browser');
  const env = cleanEnv({ CHANNEL_LAYER_URL: layerUrl });
  let restarted: Child | null = null;
  try {
    const [a, b] = await Promise.all([startDemoProcess([], env), startDemoProcess(['--no-bot'], env)]);
    const port = new URL(a.url).port;
    const page = await openRoom(browser.context, a.url, ROOM, 'Reader');
    const writer = await joinRoom(b.url, ROOM, 'Writer', { events: false });

    for (let n = 1; n <= 10; n++) await sendLine(writer, n);
    await waitForLastLine(page, 'm 10');

    // Process A dies without a goodbye; B keeps the room going.
    a.child.process.kill('SIGKILL');
    await a.child.exited;
    await page.locator('#status:not([data-state="open"])').waitFor({ timeout: scaled(20_000) });
    for (let n = 11; n <= 30; n++) await sendLine(writer, n);

    // A again, on the same port: the page's phoenix.js reconnects to it and rejoins with its last position.
    restarted = spawnNode(['--import', 'tsx', 'demo/server.ts', '--port', port], env);
    await restarted.waitFor(/listening on (http:\/\/\S+)/, scaled(60_000));
    // Keep sending while the page reconnects: messages arrive by replay and live around the rejoin.
    for (let n = 31; n <= TOTAL; n++) {
      await sendLine(writer, n);
      if (n === 35) await page.locator('#status[data-state="open"]').waitFor({ timeout: scaled(30_000) });
    }
    await waitForLastLine(page, `m ${TOTAL}`);
    expect(await pageState(page)).toBe('open');

    const shown = await lines(page);
    expect(shown).toEqual(Array.from({ length: TOTAL }, (_, i) => `m ${i + 1}`));
    expect(await page.locator('#log li.notice.lost').count()).toBe(0);

    // A newcomer (on B) sees the room's last 50 messages, in order.
    const newcomer = await openRoom(browser.context, b.url, ROOM, 'Newcomer');
    await waitForLastLine(newcomer, `m ${TOTAL}`);
    expect(await lines(newcomer)).toEqual(Array.from({ length: 50 }, (_, i) => `m ${TOTAL - 50 + i + 1}`));
    await newcomer.close();

    // Script errors would show here; the browser's own "connection refused" lines while A was down would not.
    expect(pageErrors.filter((line) => !/WebSocket connection to .* failed/.test(line))).toEqual([]);
    await page.close();
    await writer.close();
    expect(await restarted.stop()).toBe(0);
    expect(await b.child.stop()).toBe(0);
  } finally {
    await closeAll();
    await stopAll();
    const layer = new RedisChannelLayer({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379', prefix });
    await layer.flush();
    await layer.close();
  }
});

it('on the in-memory layer a restart loses the history: the page says so and goes on with new messages', async () => {
  const env = cleanEnv();
  const first = await startDemoProcess([], env);
  const port = new URL(first.url).port;
  const page = await openRoom(browser.context, first.url, ROOM, 'Reader');
  try {
    const writer = await joinRoom(first.url, ROOM, 'Writer', { events: false });
    await sendLine(writer, 1);
    await waitForLastLine(page, 'm 1');
    first.child.process.kill('SIGKILL');
    await first.child.exited;
    const again = spawnNode(['--import', 'tsx', 'demo/server.ts', '--port', port], env);
    await again.waitFor(/listening on (http:\/\/\S+)/, scaled(60_000));
    await page.locator('#log li.notice.lost').waitFor({ timeout: scaled(30_000) });
    await page.locator('#status[data-state="open"]').waitFor({ timeout: scaled(30_000) });
    const writerAgain = await joinRoom(first.url, ROOM, 'Writer', { events: false });
    await sendLine(writerAgain, 2);
    await waitForLastLine(page, 'm 2');
    expect(await lines(page)).toEqual(['m 1', 'm 2']);
    expect(await page.locator('#log li.notice.lost').count()).toBe(1);
  } finally {
    await page.close();
    await closeAll();
    await stopAll();
  }
});
