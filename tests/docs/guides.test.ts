/**
 * The guides (docs/guides/) show code from docs/guides/code/, verbatim; this
 * suite checks that and runs the code: an express app with Switchyard next to
 * it, broadcasts from an express route, a queue job and `switchyard shell`
 * (on Redis, a key prefix of its own), and the typed-user consumer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { closeChannelLayers, configureChannelLayers } from 'switchyard-channels';
import { WebsocketCommunicator } from 'switchyard-channels/testing';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { closeAll, connectClient, startServer } from '../helpers';
import { ROOT, cleanEnv, spawnSwitchyard, stopAll } from '../demo/processes';
import { redisLayerUrl } from '../demo/redis-url';
import { application } from '../../docs/guides/code/application';
import { remind } from '../../docs/guides/code/reminder-job';
import { AdminConsumer } from '../../docs/guides/code/typed-user';

jest.setTimeout(90_000);
// A tsx child compiles the sources on start: on a loaded two-core machine that alone
// has taken over 30 s, so startup gets a bound of its own (message round trips keep theirs).
const STARTUP_MS = 60_000;

const GUIDES = path.join(ROOT, 'docs', 'guides');
const CODE = path.join(GUIDES, 'code');

describe('the guides show the code that runs', () => {
  const pages = readdirSync(GUIDES).filter((name) => name.endsWith('.md'));

  it.each(pages)('%s shows its files verbatim', (page) => {
    const text = readFileSync(path.join(GUIDES, page), 'utf8');
    for (const match of text.matchAll(/```(?:ts|nginx)\n(?:\/\/|#) ([\w.-]+\.(?:ts|conf))\n([\s\S]*?)```/g)) {
      const [, name, body] = match;
      expect(`${name}: ${body!.trimEnd()}`).toBe(`${name}: ${readFileSync(path.join(CODE, name!), 'utf8').trimEnd()}`);
    }
  });

  it('every file in code/ is shown by a page, and the chat consumer is the tutorial step 2 one', () => {
    const all = pages.map((page) => readFileSync(path.join(GUIDES, page), 'utf8')).join('\n');
    for (const name of readdirSync(CODE)) {
      if (name === 'chat-consumer.ts') continue;
      expect(`${name}: ${all.includes(`\n// ${name}\n`) || all.includes(`\n# ${name}\n`)}`).toBe(`${name}: true`);
    }
    expect(readFileSync(path.join(CODE, 'chat-consumer.ts'), 'utf8')).toBe(
      readFileSync(path.join(ROOT, 'docs', 'tutorial', 'code', 'step2', 'chat-consumer.ts'), 'utf8'),
    );
  });
});

describe('adding Switchyard to an express app, and broadcasting', () => {
  beforeEach(() => configureChannelLayers({ default: 'memory://' }));
  afterEach(async () => {
    await closeAll();
    await closeChannelLayers();
    configureChannelLayers(null);
  });

  it('serves the express routes and the websocket on one port; the route and the job reach the room', async () => {
    const server = await startServer(application);
    expect(await (await fetch(`${server.httpUrl}/api/health`)).json()).toEqual({ ok: true });
    const ada = await connectClient(`${server.url}/ws/chat/lobby/`);
    const linus = await connectClient(`${server.url}/ws/chat/kitchen/`);

    const announce = (room: string, body: unknown) =>
      fetch(`${server.httpUrl}/api/rooms/${room}/announce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const accepted = await announce('lobby', { text: 'lunch is ready' });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ dropped: 0 });
    expect(await ada.nextJson()).toEqual({ message: '[announcement] lunch is ready' });
    expect((await announce('lobby', { text: '  ' })).status).toBe(400);
    expect((await announce('no%20room', { text: 'x' })).status).toBe(400);

    expect(await remind({ data: { room: 'kitchen', text: 'oven is on' } })).toBe(0);
    expect(await linus.nextJson()).toEqual({ message: '[reminder] oven is on' });
    // Ada got nothing else: her own line comes next.
    ada.sendJson({ message: 'thanks' });
    expect(await ada.nextJson()).toEqual({ message: 'thanks' });
    expect(server.errors).toEqual([]);
  });
});

describe('broadcasting from `switchyard shell`', () => {
  afterEach(async () => {
    await closeAll();
    await closeChannelLayers();
    configureChannelLayers(null);
    await stopAll();
  });

  it('reaches a room of a server on the same Redis', async () => {
    const { url: layerUrl, prefix } = redisLayerUrl('guide-shell');
    configureChannelLayers({ default: layerUrl });
    try {
      const server = await startServer(application);
      const ada = await connectClient(`${server.url}/ws/chat/lobby/`);
      const shell = spawnSwitchyard(['shell'], cleanEnv({ CHANNEL_LAYER_URL: layerUrl }));
      shell.writeLine("await groupSend('chat_lobby', {type: 'chat.message', message: 'Back in 5 minutes'})");
      await shell.waitFor(/\{ dropped: 0 \}/, STARTUP_MS);
      expect(await ada.nextJson()).toEqual({ message: 'Back in 5 minutes' });
      shell.process.stdin.end();
      expect(await shell.exited).toBe(0);
    } finally {
      const layer = new RedisChannelLayer({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379', prefix });
      await layer.flush();
      await layer.close();
    }
  });
});

describe('typing scope.user', () => {
  it('lets an admin in and refuses anyone else', async () => {
    const app = AdminConsumer.asApp();
    const admin = new WebsocketCommunicator(app, '/ws/admin/', { scope: { user: { id: '1', name: 'Ada', admin: true } } });
    expect((await admin.connect()).connected).toBe(true);
    expect(await admin.receiveJsonFrom()).toEqual({ hello: 'Ada' });
    await admin.disconnect();
    for (const user of [{ id: '2', name: 'Bob', admin: false }, { id: '3', name: 'Eve', admin: 'yes' }, undefined]) {
      const other = new WebsocketCommunicator(app, '/ws/admin/', { scope: { user } });
      expect(await other.connect()).toMatchObject({ connected: false, status: 403 });
    }
  });
});
