/**
 * Two demos on one Redis layer (two aliases in this process, so two
 * connections, two presence trackers and two bots): rooms, presence, the
 * lobby and the bot span both. The spawned two-process version is in the
 * browser test.
 */
import { closeChannelLayers, configureChannelLayers, getChannelLayer } from 'switchyard-channels';
import { createDemo, type Demo } from '../../demo/create-demo';
import { demoLayerConfig } from '../../demo/history';
import { closeAll } from '../helpers';
import { joinRoom, nextChat, nextFrame, nextOfType, type Frame } from './demo-clients';
import { cleanEnv, spawnSwitchyard, stopAll } from './processes';
import { redisLayerUrl } from './redis-url';

const { url } = redisLayerUrl('demo');
// A layer of its own for the standalone bot's test.
const { url: botUrl } = redisLayerUrl('demo-bot');
let one: Demo;
let two: Demo;

beforeAll(async () => {
  configureChannelLayers({ one: demoLayerConfig(url), two: demoLayerConfig(url), solo: demoLayerConfig(botUrl) });
  one = await createDemo({ port: 0, layerAlias: 'one' });
  two = await createDemo({ port: 0, layerAlias: 'two' });
});
afterEach(async () => {
  await closeAll();
  await stopAll();
});
afterAll(async () => {
  await one?.close({ closeLayers: false });
  await two?.close({ closeLayers: false });
  await getChannelLayer('one')?.flush();
  await closeChannelLayers();
  configureChannelLayers(null);
});

/** A state or diff frame that shows `id` present: what a page needs to list that member. */
function shows(id: string) {
  return (f: Frame): boolean => {
    const members = f.type === 'presence.state' ? f.members : f.type === 'presence.diff' ? f.joins : [];
    return (members as Array<{ id: string }>).some((m) => m.id === id);
  };
}

function hasMember(id: string, connections?: number) {
  return (f: Frame): boolean =>
    f.type === 'presence.diff' &&
    (f.joins as Array<{ id: string; connections: number }>).some((m) => m.id === id && (connections === undefined || m.connections === connections));
}

it('members on different processes share the room: messages, presence, tabs and leaves', async () => {
  const ann = await joinRoom(one.url, 'shared', 'Ann');
  await nextOfType(ann, 'presence.state');
  const bob = await joinRoom(two.url, 'shared', 'Bob');
  await nextFrame(ann, hasMember('bob'), 'with Bob joining (through Redis)');
  await nextFrame(bob, shows('ann'), 'listing Ann (from the other process)');

  ann.sendJson({ message: 'across processes' });
  expect(await nextChat(bob)).toMatchObject({ message: 'across processes', author: 'Ann' });
  expect(await nextChat(ann)).toMatchObject({ message: 'across processes', author: 'Ann' });

  // Bob's second tab on the other process: one member, two connections.
  const bobTab = await joinRoom(one.url, 'shared', 'Bob');
  await nextFrame(ann, hasMember('bob', 2), 'with Bob on two tabs');
  await bobTab.close();
  await nextFrame(ann, hasMember('bob', 1), 'with Bob back to one tab');
  await bob.close();
  await nextFrame(ann, (f) => f.type === 'presence.diff' && (f.leaves as string[]).includes('bob'), 'with Bob leaving');
});

it('room counts and the bot see members of both processes', async () => {
  const ann = await joinRoom(one.url, 'counts', 'Ann');
  const bob = await joinRoom(two.url, 'counts', 'Bob');
  await nextFrame(ann, hasMember('bob'), 'with Bob joining');
  await nextFrame(bob, shows('ann'), 'listing Ann');
  const rooms = (await (await fetch(`${two.url}/api/rooms`)).json()) as { rooms: unknown[] };
  expect(rooms.rooms).toContainEqual({ room: 'counts', count: 2 });
  bob.sendJson({ message: '/who' });
  expect(await nextChat(bob)).toMatchObject({ author: 'bot', message: '2 in #counts: Ann, Bob.' });
});

it('the bot also runs on its own: `switchyard worker demo/bot.ts chat-bot`', async () => {
  // A demo without its in-process bot, alone on its layer: only the worker can answer.
  const solo = await createDemo({ port: 0, layerAlias: 'solo', bot: false });
  try {
    const worker = spawnSwitchyard(['worker', 'demo/bot.ts', 'chat-bot'], cleanEnv({ CHANNEL_LAYER_URL: botUrl }));
    await worker.waitFor(/worker reading chat-bot/);
    const ann = await joinRoom(solo.url, 'solo', 'Ann');
    await nextOfType(ann, 'presence.state');
    ann.sendJson({ message: '/help' });
    expect(await nextChat(ann, 10_000)).toMatchObject({ author: 'bot', private: true, message: expect.stringMatching(/^Commands:/) });
    // The worker's tracker learns the demo's members from its peer.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error("the worker's tracker did not list Ann within 10 s");
      ann.sendJson({ message: '/who' });
      const answer = await nextChat(ann);
      if (answer.message === '1 in #solo: Ann.') break;
      expect(answer.message).toBe('Nobody is in #solo right now.');
    }
    await ann.close();
    worker.process.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  } finally {
    await solo.close({ closeLayers: false });
    await getChannelLayer('solo')?.flush();
  }
});
