/**
 * The demo's wire protocol over real sockets, in-process on the in-memory
 * layer: chat frames to every member (tutorial-compatible), room isolation,
 * validation error frames, presence frames, the bot, the shell's bare
 * events, the origin check, the lobby and the rate limit's headroom.
 */
import { closeChannelLayers, configureChannelLayers } from 'switchyard-channels';
import { createDemo, type Demo } from '../../demo/create-demo';
import { demoLayerConfig } from '../../demo/history';
import { MAX_MESSAGE_LENGTH } from '../../demo/protocol';
import { closeAll, connectClient, tryConnect, type TestClient } from '../helpers';
import { joinRoom, nextChat, nextFrame, nextOfType, wsBase, type Frame } from './demo-clients';

let demo: Demo;

beforeAll(async () => {
  configureChannelLayers({ default: demoLayerConfig('memory://') });
  demo = await createDemo({ port: 0 });
});
afterEach(closeAll);
afterAll(async () => {
  await demo?.close();
  await closeChannelLayers();
  configureChannelLayers(null);
});

/** Sends a marker from `client` and returns the first chat frame it gets: anything else delivered earlier would come first. */
async function firstChatAfterMarker(client: TestClient, marker: string): Promise<Frame> {
  client.sendJson({ message: marker });
  return nextChat(client);
}

describe('chat frames', () => {
  it('reach every member of the room, the sender included, with author and time', async () => {
    const ann = await joinRoom(demo.url, 'echo', 'Ann');
    const bob = await joinRoom(demo.url, 'echo', 'Bob');
    ann.sendJson({ message: '  hello, room  ' });
    for (const client of [ann, bob]) {
      const frame = await nextChat(client);
      expect(frame).toEqual({ type: 'chat.message', message: 'hello, room', author: 'Ann', time: expect.any(String), offset: 1, epoch: expect.any(String) });
      expect(Number.isNaN(Date.parse(frame.time as string))).toBe(false);
    }
  });

  it('a client that does not ask for events gets chat frames only (the Django tutorial page works unchanged)', async () => {
    const plain = await joinRoom(demo.url, 'tutorial', undefined, { events: false });
    const other = await joinRoom(demo.url, 'tutorial', 'Other');
    other.sendJson({ message: 'first' });
    // Presence changes happened (Other joined after plain): none of them reach plain.
    expect(await plain.nextJson()).toMatchObject({ message: 'first', author: 'Other' });
    plain.sendJson({ message: 'from a guest' });
    expect(await plain.nextJson()).toMatchObject({ message: 'from a guest', author: expect.stringMatching(/^guest-\d{4}$/) });
  });

  it('stay in their room', async () => {
    const ann = await joinRoom(demo.url, 'room-a', 'Ann');
    const cat = await joinRoom(demo.url, 'room-b', 'Cat');
    ann.sendJson({ message: 'only for room a' });
    expect(await nextChat(ann)).toMatchObject({ message: 'only for room a' });
    expect(await firstChatAfterMarker(cat, 'marker b')).toMatchObject({ message: 'marker b', author: 'Cat' });
  });

  it('an event with only a message (as typed in the shell) is shown as from "shell"', async () => {
    const ann = await joinRoom(demo.url, 'shellroom', 'Ann');
    await nextOfType(ann, 'presence.state');
    await demo.layer.groupSend('chat_shellroom', { type: 'chat.message', message: 'hello from the shell' });
    expect(await nextChat(ann)).toEqual({ type: 'chat.message', message: 'hello from the shell', author: 'shell', time: expect.any(String), offset: 1, epoch: expect.any(String) });
  });
});

describe('invalid input', () => {
  const cases: Array<[string, string | object, string, RegExp]> = [
    ['whitespace only', { message: '   \n\t ' }, 'ERR_VALIDATION_FAILED', /message is empty/],
    ['too long', { message: 'x'.repeat(MAX_MESSAGE_LENGTH + 1) }, 'ERR_VALIDATION_FAILED', /longer than 2000/],
    ['not text', { message: 42 }, 'ERR_VALIDATION_FAILED', /must be text/],
    ['no message', { text: 'hi' }, 'ERR_VALIDATION_FAILED', /must be text/],
    ['not JSON', 'hello?', 'ERR_INVALID_JSON', /not valid JSON/],
  ];

  it.each(cases)('%s: an error frame without a "message" key, and the connection stays open', async (_label, payload, code, detail) => {
    const ann = await joinRoom(demo.url, 'errors', 'Ann', { events: false });
    ann.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const frame = await ann.nextJson<Frame>();
    expect(frame).toMatchObject({ type: 'error', code, detail: expect.stringMatching(detail) });
    expect(frame).not.toHaveProperty('message');
    ann.sendJson({ message: 'still here' });
    expect(await ann.nextJson()).toMatchObject({ message: 'still here' });
  });

  it('a message of exactly the maximum length passes', async () => {
    const ann = await joinRoom(demo.url, 'errors', 'Ann', { events: false });
    const text = 'é'.repeat(MAX_MESSAGE_LENGTH);
    ann.sendJson({ message: text });
    expect(await ann.nextJson()).toMatchObject({ message: text });
  });
});

describe('presence frames', () => {
  it('welcome and the list on connect, then diffs for joins, extra tabs and leaves', async () => {
    const ann = await joinRoom(demo.url, 'presence', 'Ann');
    expect(await ann.nextJson()).toEqual({ type: 'welcome', room: 'presence', you: { id: 'ann', name: 'Ann' } });
    expect(await ann.nextJson()).toEqual({ type: 'presence.state', members: [{ id: 'ann', name: 'Ann', connections: 1 }] });

    const bob = await joinRoom(demo.url, 'presence', 'Bob');
    expect(await nextOfType(bob, 'presence.state')).toEqual({
      type: 'presence.state',
      members: [
        { id: 'ann', name: 'Ann', connections: 1 },
        { id: 'bob', name: 'Bob', connections: 1 },
      ],
    });
    expect(await ann.nextJson()).toEqual({ type: 'presence.diff', joins: [{ id: 'bob', name: 'Bob', connections: 1 }], leaves: [] });

    // A second tab under the same name (any case) is the same member.
    const bobTab = await joinRoom(demo.url, 'presence', 'BOB');
    expect(await ann.nextJson()).toEqual({ type: 'presence.diff', joins: [{ id: 'bob', name: 'BOB', connections: 2 }], leaves: [] });
    await bobTab.close();
    expect(await ann.nextJson()).toEqual({ type: 'presence.diff', joins: [{ id: 'bob', name: 'Bob', connections: 1 }], leaves: [] });
    await bob.close();
    expect(await ann.nextJson()).toEqual({ type: 'presence.diff', joins: [], leaves: ['bob'] });
  });

  it('names are cleaned up; a missing one becomes a guest name', async () => {
    const odd = await joinRoom(demo.url, 'names', '  Zoë \u0000\u200b  the\n\tgreat  ');
    expect(await odd.nextJson()).toMatchObject({ type: 'welcome', you: { id: 'zoë the great', name: 'Zoë the great' } });
    const guest = await joinRoom(demo.url, 'names', '   ');
    expect(await guest.nextJson()).toMatchObject({ type: 'welcome', you: { name: expect.stringMatching(/^guest-\d{4}$/) } });
  });
});

describe('the bot', () => {
  it('answers /help and /who to the asker alone', async () => {
    const ann = await joinRoom(demo.url, 'botroom', 'Ann');
    const bob = await joinRoom(demo.url, 'botroom', 'Bob');
    await nextOfType(bob, 'presence.state');
    ann.sendJson({ message: '/help' });
    expect(await nextChat(ann)).toMatchObject({ author: 'bot', private: true, message: expect.stringMatching(/\/who/) });
    ann.sendJson({ message: '/WHO' });
    expect(await nextChat(ann)).toMatchObject({ author: 'bot', message: '2 in #botroom: Ann, Bob.' });
    ann.sendJson({ message: '/rooms' });
    expect(await nextChat(ann)).toMatchObject({ author: 'bot', message: expect.stringMatching(/#botroom \(2\)/) });
    ann.sendJson({ message: '/dance now' });
    expect(await nextChat(ann)).toMatchObject({ author: 'bot', message: "I don't know /dance. Try /help." });
    // Commands and answers never reached Bob.
    expect(await firstChatAfterMarker(bob, 'bob marker')).toMatchObject({ message: 'bob marker' });
  });
});

describe('the lobby', () => {
  it('lists rooms with people, over the websocket and as JSON, and follows changes', async () => {
    const lobby = await connectClient(`${wsBase(demo.url)}/ws/lobby/`, { headers: { Origin: demo.url } });
    const first = (await lobby.nextJson<{ rooms: Array<{ room: string; count: number }> }>()).rooms;
    expect(first.find((r) => r.room === 'counted')).toBeUndefined();
    const ann = await joinRoom(demo.url, 'counted', 'Ann');
    await joinRoom(demo.url, 'counted', 'Bob');
    await nextFrame(lobby, (f) => (f.rooms as Array<{ room: string; count: number }>).some((r) => r.room === 'counted' && r.count === 2), 'counting 2 in #counted');
    const json = (await (await fetch(`${demo.url}/api/rooms`)).json()) as { rooms: Array<{ room: string; count: number }> };
    expect(json.rooms).toContainEqual({ room: 'counted', count: 2 });
    await ann.close();
    await nextFrame(lobby, (f) => (f.rooms as Array<{ room: string; count: number }>).some((r) => r.room === 'counted' && r.count === 1), 'counting 1 in #counted');
  });
});

describe('the door', () => {
  it('refuses a foreign origin and a room name that is too long', async () => {
    const foreign = await tryConnect(`${wsBase(demo.url)}/ws/chat/lobby/`, { headers: { Origin: 'http://evil.example' } });
    expect(foreign.ok ? 101 : foreign.status).toBe(403);
    const long = await tryConnect(`${wsBase(demo.url)}/ws/chat/${'r'.repeat(49)}/`, { headers: { Origin: demo.url } });
    expect(long.ok ? 101 : long.status).toBe(404);
  });

  it('serves the pages, a 404 for a bad room, and a redirect to the trailing slash', async () => {
    const room = await fetch(`${demo.url}/chat/lobby/`);
    expect(room.status).toBe(200);
    expect(await room.text()).toContain('id="members"');
    expect(room.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${demo.url}/chat/bad%20room/`)).status).toBe(404);
    const redirect = await fetch(`${demo.url}/chat/lobby?name=Ann`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/chat/lobby/?name=Ann');
    const index = await fetch(`${demo.url}/`);
    expect(await index.text()).toContain('id="rooms"');
  });

  it('the rate limit leaves room for 1,000 messages at once on one connection', async () => {
    const ann = await joinRoom(demo.url, 'burst', 'Ann', { events: false });
    for (let i = 0; i < 1000; i++) ann.sendJson({ message: `m${i}` });
    for (let i = 0; i < 1000; i++) expect((await ann.nextJson<Frame>()).message).toBe(`m${i}`);
    expect(ann.closedInfo).toBeNull();
  });
});
