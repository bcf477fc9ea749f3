/**
 * The tutorial (docs/tutorial/) must stay runnable. Its code lives in
 * docs/tutorial/code/stepN/ (the reader's `src/` after step N) and
 * code/public/; this suite checks that every file a page shows is the file on
 * disk, that a file a page does not show is unchanged from the step before,
 * and then runs each step over real sockets: step 3 as two processes on one
 * Redis (a key prefix of its own), step 5 by running the reader's own
 * node:test file. `switchyard-channels` resolves to this checkout's src/
 * (jest's moduleNameMapper in-process, tsconfig paths under tsx).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { closeChannelLayers, configureChannelLayers, type Application } from 'switchyard-channels';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { closeAll, connectClient, startServer, tryConnect, type TestClient } from '../helpers';
import { ROOT, cleanEnv, spawnNode, stopAll } from '../demo/processes';
import { redisLayerUrl } from '../demo/redis-url';

jest.setTimeout(120_000);
// A tsx child compiles the sources on start: on a loaded two-core machine that alone
// has taken over 30 s, so startup gets a bound of its own (message round trips keep theirs).
const STARTUP_MS = 60_000;

const TUTORIAL = path.join(ROOT, 'docs', 'tutorial');
const CODE = path.join(TUTORIAL, 'code');
const STEPS = [1, 2, 4, 5] as const;
const PAGES: Record<number, string> = {
  1: '01-a-room-consumer.md',
  2: '02-groups.md',
  3: '03-redis.md',
  4: '04-auth.md',
  5: '05-testing.md',
};

/** The files a page shows: fenced blocks whose first line names the file (`// src/x.ts`, `<!-- public/x.html -->`). */
function shownFiles(page: string): Map<string, string> {
  const text = readFileSync(path.join(TUTORIAL, page), 'utf8');
  const shown = new Map<string, string>();
  for (const match of text.matchAll(/```(?:ts|html)\n(?:\/\/ |<!-- )((?:src|public)\/[\w./-]+)(?: -->)?\n([\s\S]*?)```/g)) {
    shown.set(match[1]!, match[2]!);
  }
  return shown;
}

function stepFile(step: number, name: string): string {
  return readFileSync(path.join(CODE, `step${step}`, name), 'utf8');
}

describe('the tutorial pages show the code that runs', () => {
  it('every page exists and the index links them in order', () => {
    const index = readFileSync(path.join(TUTORIAL, 'README.md'), 'utf8');
    let last = -1;
    for (const page of Object.values(PAGES)) {
      expect(existsSync(path.join(TUTORIAL, page))).toBe(true);
      const at = index.indexOf(`(${page})`);
      expect(at).toBeGreaterThan(last);
      last = at;
    }
  });

  it.each(Object.entries(PAGES))('step %s shows its files verbatim', (step, page) => {
    const shown = shownFiles(page);
    for (const [name, body] of shown) {
      const file = name.startsWith('public/') ? path.join(CODE, name) : path.join(CODE, `step${step}`, name.slice('src/'.length));
      expect(`${name}: ${body.trimEnd()}`).toBe(`${name}: ${readFileSync(file, 'utf8').trimEnd()}`);
    }
    if (Number(step) !== 3) expect(shown.size).toBeGreaterThan(0);
  });

  it('a file a step does not show is the same as in the step before', () => {
    let previous: number | null = null;
    for (const step of STEPS) {
      const shown = shownFiles(PAGES[step]!);
      for (const name of readdirSync(path.join(CODE, `step${step}`))) {
        if (shown.has(`src/${name}`)) continue;
        expect(previous).not.toBeNull();
        expect(`step${step}/${name}: ${stepFile(step, name)}`).toBe(`step${step}/${name}: ${stepFile(previous!, name)}`);
      }
      previous = step;
    }
  });
});

async function loadApplication(step: number): Promise<Application> {
  const module = (await import(path.join(CODE, `step${step}`, 'app'))) as { application: Application };
  return module.application;
}

/** A message that `to` receives next, after whatever `from` sent. */
async function said(from: TestClient, message: string, to: TestClient = from): Promise<unknown> {
  from.sendJson({ message });
  return to.nextJson();
}

describe('the tutorial steps run', () => {
  beforeEach(() => configureChannelLayers({ default: 'memory://' }));
  afterEach(async () => {
    await closeAll();
    await closeChannelLayers();
    configureChannelLayers(null);
  });

  it('step 1: the page is served and the consumer answers its own tab only', async () => {
    const server = await startServer(await loadApplication(1));
    const page = await fetch(`${server.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("new WebSocket(`${scheme}://${location.host}/ws/chat/${room}/`)");
    const ada = await connectClient(`${server.url}/ws/chat/lobby/`);
    const grace = await connectClient(`${server.url}/ws/chat/lobby/`);
    expect(await said(ada, 'hello')).toEqual({ message: 'hello' });
    // Grace's own line is the first thing she gets: Ada's never reached her.
    expect(await said(grace, 'me')).toEqual({ message: 'me' });
    expect(await tryConnect(`${server.url}/ws/chat/caf%C3%A9/`)).toMatchObject({ ok: false, status: 404 });
    expect(server.errors).toEqual([]);
  });

  it('step 2: a room is a group on the in-memory layer', async () => {
    const server = await startServer(await loadApplication(2));
    const [ada, grace, linus] = await Promise.all(
      ['lobby', 'lobby', 'kitchen'].map((room) => connectClient(`${server.url}/ws/chat/${room}/`)),
    );
    expect(await said(ada!, 'hello', grace)).toEqual({ message: 'hello' });
    expect(await ada!.nextJson()).toEqual({ message: 'hello' });
    expect(await said(linus!, 'kitchen only')).toEqual({ message: 'kitchen only' });
    expect(await said(grace!, 'lobby only', ada)).toEqual({ message: 'lobby only' });
    expect(await grace!.nextJson()).toEqual({ message: 'lobby only' });
    expect(server.errors).toEqual([]);
  });

  it('step 3: two processes on one Redis share the rooms', async () => {
    const { url: layerUrl, prefix } = redisLayerUrl('tutorial');
    const env = cleanEnv({ CHANNEL_LAYER_URL: layerUrl, PORT: '0' });
    try {
      const servers = [0, 1].map(() => spawnNode(['--import', 'tsx', path.join(CODE, 'step2', 'server.ts')], env));
      const urls = await Promise.all(servers.map((child) => child.waitFor(/chat listening on http:\/\/(\S+)/, STARTUP_MS)));
      const ada = await connectClient(`ws://${urls[0]}/ws/chat/lobby/`);
      const grace = await connectClient(`ws://${urls[1]}/ws/chat/lobby/`);
      expect(await said(ada, 'across processes', grace)).toEqual({ message: 'across processes' });
      expect(await ada.nextJson()).toEqual({ message: 'across processes' });
      expect(await said(grace, 'and back', ada)).toEqual({ message: 'and back' });
      expect(await grace.nextJson()).toEqual({ message: 'and back' });
      expect(await Promise.all(servers.map((child) => child.stop()))).toEqual([0, 0]);
    } finally {
      await stopAll();
      const layer = new RedisChannelLayer({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379', prefix });
      await layer.flush();
      await layer.close();
    }
  });

  it('step 4: a session from an HTTP login, and a JWT for the token route', async () => {
    const server = await startServer(await loadApplication(4));
    const login = await fetch(`${server.httpUrl}/login`, { method: 'POST', body: new URLSearchParams({ name: 'Ada' }), redirect: 'manual' });
    expect(login.status).toBe(302);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const origin = server.httpUrl;

    const ada = await connectClient(`${server.url}/ws/chat/lobby/`, { headers: { Cookie: cookie, Origin: origin } });
    expect(await said(ada, 'signed in')).toEqual({ message: 'signed in', author: 'Ada' });
    expect(await tryConnect(`${server.url}/ws/chat/lobby/`, { headers: { Origin: origin } })).toMatchObject({ ok: false, status: 401 });
    expect(await tryConnect(`${server.url}/ws/chat/lobby/`, { headers: { Cookie: cookie, Origin: 'https://evil.example' } })).toMatchObject({
      ok: false,
      status: 403,
    });

    expect((await fetch(`${server.httpUrl}/token`, { method: 'POST' })).status).toBe(401);
    const issued = await fetch(`${server.httpUrl}/token`, { method: 'POST', headers: { Cookie: cookie } });
    const { token } = (await issued.json()) as { token: string };
    const bot = await connectClient(`${server.url}/api/ws/chat/lobby/`, { protocols: ['bearer', token] });
    expect(bot.protocol).toBe('bearer');
    expect(await said(bot, 'by token', ada)).toEqual({ message: 'by token', author: 'Ada' });
    expect(await tryConnect(`${server.url}/api/ws/chat/lobby/`)).toMatchObject({ ok: false, status: 401 });
    expect(await tryConnect(`${server.url}/api/ws/chat/lobby/`, { protocols: ['bearer', `${token}x`] })).toMatchObject({ ok: false, status: 401 });
  });

  it("step 5: the reader's node:test file passes", async () => {
    // `npx tsx --test <file>`, as the page says: tsx's own command line.
    const tsx = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const child = spawnNode([tsx, '--test', path.join(CODE, 'step5', 'chat-consumer.test.ts')], cleanEnv());
    const code = await child.exited;
    expect(child.output()).toMatch(/^# pass 4$/m);
    expect(child.output()).toMatch(/^# fail 0$/m);
    expect(code).toBe(0);
  });
});
