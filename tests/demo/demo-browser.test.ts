/**
 * The demo in headless Chromium, end to end, twice: one demo process on the
 * in-memory layer with the shell inside it (`--repl`, driven through stdin),
 * then two demo processes on Redis with the pages split between them and the
 * shell as a separate `switchyard shell` process.
 *
 * Each run: two pages in a room see each other's messages and each other in
 * the presence list; a third page in another room sees neither; a line sent
 * from the shell appears in both; the bot answers /who; invalid input shows
 * an error and the connection stays usable; the lobby counts people; closing
 * a page updates the others. A screenshot of the room page goes to
 * test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { configureChannelLayers } from 'switchyard-channels';
import { createDemo } from '../../demo/create-demo';
import { demoLayerConfig } from '../../demo/history';
import { closeAll, connectClient, type TestClient } from '../helpers';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { launchBrowser, type Browser } from './browser';
import { ROOT, cleanEnv, spawnSwitchyard, startDemoProcess, stopAll } from './processes';
import { redisLayerUrl } from './redis-url';
import { wsBase } from './demo-clients';
import { scaled } from '../setup/calibrate';
import {
  lines,
  memberIds,
  openRoom,
  pageErrors,
  say,
  waitForLastLine,
  waitForLine,
  waitForMembers,
  waitForRoomCount,
  watchErrors,
} from './room-page';

jest.setTimeout(scaled(60_000));

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
// The room page speaks Phoenix Channels: the shell broadcasts to its topic.
const SHELL_LINE = "await broadcast('room:lobby', 'new_msg', {body: 'hello from the shell', name: 'shell'}); 'broadcast sent'";

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stopAll();
});

interface Setup {
  /** Where Ada and Grace (room "lobby") and Linus (room "kitchen") open their pages. */
  adaUrl: string;
  graceUrl: string;
  linusUrl: string;
  /** Run SHELL_LINE in a shell on the demo's layer. */
  shell(): Promise<void>;
  screenshot: string;
}

async function scenario(setup: Setup): Promise<void> {
  const { context } = browser;
  const pages: Page[] = [];
  try {
    const ada = await openRoom(context, setup.adaUrl, 'lobby', 'Ada');
    const grace = await openRoom(context, setup.graceUrl, 'lobby', 'Grace');
    const linus = await openRoom(context, setup.linusUrl, 'kitchen', 'Linus');
    pages.push(ada, grace, linus);

    // Same room: each is in the other's presence list, and messages go both ways.
    await waitForMembers(ada, ['ada', 'grace']);
    await waitForMembers(grace, ['ada', 'grace']);
    await say(ada, 'Hello from Ada');
    await waitForLine(grace, 'Ada', 'Hello from Ada');
    await waitForLine(ada, 'Ada', 'Hello from Ada');
    await say(grace, 'Hi Ada! Grace here, on the other tab.');
    await waitForLine(ada, 'Grace', 'Hi Ada! Grace here, on the other tab.');

    // The shell's line reaches both pages of the room.
    await setup.shell();
    await waitForLine(ada, 'shell', 'hello from the shell');
    await waitForLine(grace, 'shell', 'hello from the shell');

    // The bot answers the asker.
    await say(ada, '/who');
    await waitForLine(ada, 'bot', '2 in #lobby: Ada, Grace.');

    // Another room sees none of it, and is not seen. Each page's own marker
    // arrives after anything that could have leaked to it.
    await say(linus, 'Anyone in the kitchen?');
    await waitForLine(linus, 'Linus', 'Anyone in the kitchen?');
    expect(await lines(linus)).toEqual(['Anyone in the kitchen?']);
    expect(await memberIds(linus)).toEqual(['linus']);
    await say(grace, 'The shell line came through here too.');
    await waitForLine(ada, 'Grace', 'The shell line came through here too.');
    expect(await lines(ada)).not.toContain('Anyone in the kitchen?');
    expect(await memberIds(ada)).toEqual(['ada', 'grace']);

    // The room page as a reader sees it (before the error banner below).
    await ada.screenshot({ path: setup.screenshot });

    // Invalid input: an error in the page, the connection stays open and usable.
    await say(ada, '    ');
    await ada.locator('#error', { hasText: 'message is empty' }).waitFor();
    await say(ada, 'x'.repeat(2001));
    await ada.locator('#error', { hasText: 'longer than 2000 characters' }).waitFor();
    expect(await ada.getAttribute('#status', 'data-state')).toBe('open');
    await say(ada, 'Still connected after the errors');
    await waitForLine(grace, 'Ada', 'Still connected after the errors');

    // The lobby counts people in each room, live.
    const lobby = await context.newPage();
    watchErrors(lobby, 'the lobby');
    pages.push(lobby);
    await lobby.goto(`${setup.adaUrl}/`);
    await waitForRoomCount(lobby, 'lobby', 2);
    await waitForRoomCount(lobby, 'kitchen', 1);

    // Closing a page: it leaves the others' presence list and the count.
    await grace.close();
    await waitForMembers(ada, ['ada']);
    await waitForRoomCount(lobby, 'lobby', 1);
    expect(pageErrors).toEqual([]);
  } finally {
    await Promise.all(pages.map((page) => page.close().catch(() => undefined)));
  }
}

describe('the demo in a browser', () => {
  it('on the in-memory layer, with the shell inside the server (--repl)', async () => {
    const { child, url } = await startDemoProcess(['--repl'], cleanEnv());
    expect(child.output()).toMatch(/(channel layer|layer connected): InMemoryChannelLayer/);
    await scenario({
      adaUrl: url,
      graceUrl: url,
      linusUrl: url,
      async shell() {
        child.writeLine(SHELL_LINE);
        await child.waitFor(/'broadcast sent'/);
      },
      screenshot: path.join(ARTIFACTS, 'demo-room.png'),
    });
    expect(await child.stop()).toBe(0);
    expect(child.output()).toMatch(/\[demo\] stopped/);
  });

  it('on Redis: two demo processes share rooms and presence; the shell is `switchyard shell`', async () => {
    const { url: layerUrl, prefix } = redisLayerUrl('demo-browser');
    const env = cleanEnv({ CHANNEL_LAYER_URL: layerUrl });
    try {
      const [one, two] = await Promise.all([startDemoProcess([], env), startDemoProcess(['--no-bot'], env)]);
      expect(one.child.output()).toMatch(/layer connected: RedisChannelLayer at redis:/);
      await scenario({
        adaUrl: one.url,
        graceUrl: two.url,
        linusUrl: two.url,
        async shell() {
          const shell = spawnSwitchyard(['shell'], env);
          shell.writeLine(SHELL_LINE);
          await shell.waitFor(/'broadcast sent'/);
          shell.process.stdin.end();
          expect(await shell.exited).toBe(0);
        },
        screenshot: path.join(ARTIFACTS, 'demo-room-redis.png'),
      });
      expect(await Promise.all([one.child.stop(), two.child.stop()])).toEqual([0, 0]);
    } finally {
      await stopAll();
      const layer = new RedisChannelLayer({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379', prefix });
      await layer.flush();
      await layer.close();
    }
  });
});

describe('a crowded room', () => {
  afterEach(closeAll);

  it('with 300 members and 600 messages the page lists everyone, keeps the last 500 lines and still answers', async () => {
    configureChannelLayers({ default: demoLayerConfig('memory://') });
    // 301 members from one address: lift the demo's per-address limit (32) for this room.
    const demo = await createDemo({ port: 0, maxConnectionsPerAddress: 400 });
    const page = await openRoom(browser.context, demo.url, 'crowd', 'Watcher');
    try {
      const members: TestClient[] = [];
      for (let i = 0; i < 300; i += 50) {
        const batch = Array.from({ length: 50 }, (_, j) =>
          connectClient(`${wsBase(demo.url)}/ws/chat/crowd/?events=1&name=member-${i + j}`, { headers: { Origin: demo.url } }),
        );
        members.push(...(await Promise.all(batch)));
      }
      await page.locator('#count', { hasText: /^301$/ }).waitFor();
      // The list draws the first 300 and counts the rest.
      expect(await page.locator('#members li').count()).toBe(300);
      await page.locator('#more', { hasText: 'and 1 more' }).waitFor();

      // From one connection, so the order is known and the last line is the last one sent.
      for (let n = 0; n < 600; n++) members[0]!.sendJson({ message: `line ${n}` });
      await waitForLastLine(page, 'line 599');
      expect(await page.locator('#log li').count()).toBeLessThanOrEqual(500);

      await say(page, 'still responsive');
      await waitForLine(page, 'Watcher', 'still responsive');
      await Promise.all(members.map((client) => client.close()));
      await page.locator('#count', { hasText: /^1$/ }).waitFor();
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
      await demo.close();
      configureChannelLayers(null);
    }
  });
});

describe('the room page on a phone', () => {
  afterEach(closeAll);

  it('at 375 px wide it does not scroll sideways and the status pill is fully visible', async () => {
    configureChannelLayers({ default: demoLayerConfig('memory://') });
    const demo = await createDemo({ port: 0 });
    const page = await openRoom(browser.context, demo.url, 'a-rather-long-room-name', 'Margaret Hamilton');
    try {
      await page.setViewportSize({ width: 375, height: 667 });
      await say(page, 'a-message-without-any-space-to-break-it-'.repeat(4));
      await waitForLastLine(page, 'a-message-without-any-space-to-break-it-'.repeat(4));
      // A string expression: the tests' tsconfig has no DOM library.
      const scrollWidth = (await page.evaluate('document.scrollingElement.scrollWidth')) as number;
      expect(await page.evaluate('window.innerWidth')).toBe(375);
      expect(scrollWidth).toBeLessThanOrEqual(375);
      expect(await page.textContent('#status-text')).toBe('Connected');
      const pill = (await page.locator('#status').boundingBox())!;
      expect(pill.width).toBeGreaterThan(0);
      expect(pill.x).toBeGreaterThanOrEqual(0);
      expect(pill.x + pill.width).toBeLessThanOrEqual(375);
      expect(pill.y).toBeGreaterThanOrEqual(0);
      // The composer's Send button stays reachable too.
      const send = await page.locator('#send').boundingBox();
      expect(send!.x + send!.width).toBeLessThanOrEqual(375);
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-room-375.png') });
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
      await demo.close();
      configureChannelLayers(null);
    }
  });
});
