/**
 * The real phoenix.js client over WebSocket against phoenixSocket(): the
 * semantics of Phoenix's own socket and channel tests (named in each title:
 * phoenix/test/phoenix/integration/websocket_channels_test.exs as
 * "websocket_channels_test", test/phoenix/channel_test.exs as "channel_test",
 * test/phoenix/socket/socket_test.exs as "socket_test").
 */
import { Socket } from 'phoenix';
import { broadcast } from '../../src/index';
import { closeAll, tryConnect, waitFor } from '../helpers';
import { PhoenixConnection } from '../../src/phoenix/socket-connection';
import { terminations, userSocket } from './fixtures';
import { channelEvent, collect, connected, joined, phxSocket, pushed } from './phoenix-clients';
import { startPhoenix, type PhoenixServer } from './start-phoenix';

let server: PhoenixServer;
const quiet = { warn: jest.fn(), error: jest.fn() };

beforeEach(async () => {
  PhoenixConnection.logger = quiet;
  server = await startPhoenix(userSocket());
  terminations.length = 0;
  quiet.warn.mockClear();
  quiet.error.mockClear();
});
afterEach(closeAll);

async function open(user = 'alice', options = {}): Promise<Socket> {
  const socket = phxSocket(server.endpoint, { params: { token: user }, ...options });
  await connected(socket);
  return socket;
}

describe('connect', () => {
  test('socket_test: refuses connect when connect returns false, with HTTP 403 before the upgrade', async () => {
    expect(await tryConnect(`${server.url}/socket/websocket?token=bad&vsn=2.0.0`)).toMatchObject({ ok: false, status: 403 });
    expect(await tryConnect(`${server.url}/socket/websocket?vsn=2.0.0`)).toMatchObject({ ok: false, status: 403 });
  });

  test('websocket_channels_test: refuses connects that error with 403 response', async () => {
    expect(await tryConnect(`${server.url}/socket/websocket?token=throw&vsn=2.0.0`)).toMatchObject({ ok: false, status: 403 });
  });

  test('websocket_channels_test: returns 403 when versions do not match', async () => {
    expect(await tryConnect(`${server.url}/socket/websocket?token=a&vsn=3.0.0`)).toMatchObject({ ok: false, status: 403 });
  });

  test('a path other than <mount>/websocket is a 404', async () => {
    expect(await tryConnect(`${server.url}/socket/other?token=a`)).toMatchObject({ ok: false, status: 404 });
  });
});

describe('join', () => {
  test('websocket_channels_test: join, leave, and event messages (join ok with its reply payload)', async () => {
    const socket = await open();
    const room = socket.channel('room:lobby', { hello: 'world' });
    expect(await joined(room)).toEqual({ status: 'ok', response: { topic: 'room:lobby', user: 'alice', echo: { hello: 'world' } } });
    expect(await pushed(room, 'ping', { n: 1 })).toEqual({ status: 'ok', response: { pong: { n: 1 } } });
    const closed = channelEvent(room, 'close');
    room.leave();
    await closed;
    await waitFor(() => terminations.length === 1, 2000, 'terminate after leave');
    expect(terminations).toEqual([['room:lobby', 'leave']]);
  });

  test('join refused with an error reply and its payload', async () => {
    const socket = await open();
    const secret = socket.channel('room:private-1');
    expect(await joined(secret)).toEqual({ status: 'error', response: { reason: 'unauthorized' } });
    secret.leave();
  });

  test('websocket_channels_test: warns for unmatched topic (error reply {reason: "unmatched topic"})', async () => {
    const socket = await open();
    const nowhere = socket.channel('nowhere:1');
    expect(await joined(nowhere)).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
    nowhere.leave();
  });

  test('a join that throws gets {reason: "join crashed"} and the socket stays up', async () => {
    const socket = await open();
    const bad = socket.channel('room:crash', { crash: true });
    expect(await joined(bad)).toEqual({ status: 'error', response: { reason: 'join crashed' } });
    bad.leave();
    const good = socket.channel('room:lobby');
    expect((await joined(good)).status).toBe('ok');
  });

  test('websocket_channels_test: rejects the 101st channel join by default', async () => {
    const socket = await open();
    for (let i = 0; i < 100; i++) expect((await joined(socket.channel(`room:${i}`))).status).toBe('ok');
    expect(await joined(socket.channel('room:100'))).toEqual({ status: 'error', response: { reason: 'too many channels joined' } });
  });

  test('websocket_channels_test: duplicate join event closes existing channel', async () => {
    const a = await open();
    const b = await open('bob');
    const first = a.channel('room:lobby');
    expect((await joined(first)).status).toBe('ok');
    const oldRef = (first as unknown as { joinRef(): string }).joinRef();
    // phoenix.js leaves a duplicate topic itself before joining again, so speak the wire directly.
    const frames: Array<{ topic: string; event: string; ref: string | null; join_ref: string | null; payload: any }> = [];
    a.onMessage((m: object) => {
      frames.push(m as never);
    });
    a.push({ topic: 'room:lobby', event: 'phx_join', payload: {}, ref: 'again', join_ref: 'again' } as never);
    await waitFor(() => frames.some((f) => f.ref === 'again'), 2000, 'the second join reply');
    const close = frames.findIndex((f) => f.event === 'phx_close');
    const reply = frames.findIndex((f) => f.ref === 'again');
    expect(frames[close]).toMatchObject({ topic: 'room:lobby', join_ref: oldRef });
    expect(close).toBeLessThan(reply);
    expect(frames[reply]).toMatchObject({ event: 'phx_reply', join_ref: 'again', payload: { status: 'ok' } });
    expect(terminations).toEqual([['room:lobby', 'rejoin']]);
    // One subscription remains: a broadcast reaches the socket once, under the new join.
    const bobRoom = b.channel('room:lobby');
    await joined(bobRoom);
    await pushed(bobRoom, 'new_msg', { body: 'once' });
    await waitFor(() => frames.some((f) => f.event === 'new_msg'), 2000, 'the broadcast');
    await pushed(bobRoom, 'ping', {}); // a round trip after the broadcast: a duplicate would be here by now
    expect(frames.filter((f) => f.event === 'new_msg').map((f) => f.payload)).toEqual([{ body: 'once', user: 'bob' }]);
  });
});

describe('push and reply', () => {
  test('channel_test: replying to transport (ok and error replies with payloads)', async () => {
    const socket = await open();
    const room = socket.channel('room:lobby');
    await joined(room);
    expect(await pushed(room, 'ping', { x: [1, 2] })).toEqual({ status: 'ok', response: { pong: { x: [1, 2] } } });
    expect(await pushed(room, 'refuse', {})).toEqual({ status: 'error', response: { reason: 'refused' } });
  });

  test('no reply: the push times out on the client', async () => {
    const socket = await open();
    const room = socket.channel('room:lobby');
    await joined(room);
    expect(await pushed(room, 'noreply', {}, 100)).toEqual({ status: 'timeout', response: null });
    expect((await pushed(room, 'ping', {})).status).toBe('ok');
  });

  test('channel_test: pushing to transport (push reaches this client only)', async () => {
    const a = await open();
    const b = await open('bob');
    const roomA = a.channel('room:lobby');
    const roomB = b.channel('room:lobby');
    await joined(roomA);
    await joined(roomB);
    const gotA = collect(roomA, 'pushed');
    const gotB = collect(roomB, 'pushed');
    await pushed(roomA, 'noreply', {}, 1).catch(() => undefined);
    roomA.push('push_me', { value: 42 });
    expect(await gotA.next(1)).toEqual([{ value: 42 }]);
    await pushed(roomB, 'ping', {});
    expect(gotB.items).toEqual([]);
  });

  test('websocket_channels_test: refuses websocket events that haven\'t joined', async () => {
    const socket = await open();
    const room = socket.channel('room:lobby');
    // Push without joining: phoenix.js buffers until joined, so speak the wire directly.
    const replies: unknown[] = [];
    socket.onMessage((message) => {
      replies.push(message);
    });
    socket.push({ topic: 'room:never', event: 'ping', payload: {}, ref: '99', join_ref: null } as never);
    await waitFor(() => replies.length > 0, 2000, 'a reply');
    expect(replies[0]).toMatchObject({ topic: 'room:never', event: 'phx_reply', ref: '99', payload: { status: 'error', response: { reason: 'unmatched topic' } } });
    room.leave();
  });
});

describe('broadcast', () => {
  test('channel_test: broadcasts from self (every subscriber, the sender included)', async () => {
    const a = await open();
    const b = await open('bob');
    const roomA = a.channel('room:lobby');
    const roomB = b.channel('room:lobby');
    await joined(roomA);
    await joined(roomB);
    const gotA = collect(roomA, 'new_msg');
    const gotB = collect(roomB, 'new_msg');
    expect((await pushed(roomA, 'new_msg', { body: 'hi' })).status).toBe('ok');
    expect(await gotA.next(1)).toEqual([{ body: 'hi', user: 'alice' }]);
    expect(await gotB.next(1)).toEqual([{ body: 'hi', user: 'alice' }]);
  });

  test('channel_test: broadcasts from other (broadcastFrom skips the sender)', async () => {
    const a = await open();
    const b = await open('bob');
    const roomA = a.channel('room:lobby');
    const roomB = b.channel('room:lobby');
    await joined(roomA);
    await joined(roomB);
    const gotA = collect(roomA, 'from_me');
    const gotB = collect(roomB, 'from_me');
    await pushed(roomA, 'from_me', { body: 'psst' });
    expect(await gotB.next(1)).toEqual([{ body: 'psst' }]);
    await pushed(roomA, 'ping', {});
    expect(gotA.items).toEqual([]);
  });

  test('broadcast() from outside any channel reaches every subscriber, other topics do not', async () => {
    const a = await open();
    const lobby = a.channel('room:lobby');
    const other = a.channel('room:other');
    await joined(lobby);
    await joined(other);
    const got = collect(lobby, 'new_msg');
    const otherGot = collect(other, 'new_msg');
    await broadcast('room:lobby', 'new_msg', { body: 'hi', name: 'shell' });
    expect(await got.next(1)).toEqual([{ body: 'hi', name: 'shell' }]);
    await pushed(other, 'ping', {});
    expect(otherGot.items).toEqual([]);
  });

  test('intercept + handleOut: rewritten per subscriber, filtered when handleOut pushes nothing', async () => {
    const a = await open();
    const b = await open('bob');
    const roomA = a.channel('room:lobby');
    const roomB = b.channel('room:lobby');
    await joined(roomA);
    await joined(roomB);
    const gotA = collect(roomA, 'censored');
    const gotB = collect(roomB, 'censored');
    await pushed(roomA, 'censored', { body: 'a secret' });
    await pushed(roomA, 'censored', { body: 'hello' });
    expect(await gotA.next(1)).toEqual([{ body: 'hello (seen by alice)' }]);
    expect(await gotB.next(1)).toEqual([{ body: 'hello (seen by bob)' }]);
  });

  test('socket_test: disconnect broadcast to the socket id closes every socket with that id (close 1001, phoenix.js reconnects)', async () => {
    const alice1 = await open('alice');
    const alice2 = await open('alice');
    const bob = await open('bob');
    const closes: number[] = [];
    for (const s of [alice1, alice2, bob]) {
      s.onClose((event: { code: number }) => {
        closes.push(event.code);
      });
    }
    const reopened = new Promise<void>((resolve) => {
      let n = 0;
      alice1.onOpen(() => {
        if (++n === 1) resolve();
      });
    });
    await broadcast('user_socket:alice', 'disconnect', {});
    await waitFor(() => closes.length === 2, 3000, 'both alice sockets closed');
    expect(closes).toEqual([1001, 1001]);
    await reopened; // phoenix.js reconnected on its own
    expect(bob.isConnected()).toBe(true);
  });
});

describe('crashes and lifecycle', () => {
  test('websocket_channels_test: sends phx_error if a channel server abnormally exits; other topics live on and the client rejoins', async () => {
    const socket = await open();
    const lobby = socket.channel('room:lobby');
    const other = socket.channel('room:other');
    await joined(lobby);
    await joined(other);
    const errored = channelEvent(lobby, 'error');
    const rejoined = new Promise<void>((resolve) => {
      let joins = 0;
      lobby.on('phx_reply', () => undefined);
      (lobby as unknown as { joinPush: { receive(s: string, f: () => void): void } }).joinPush.receive('ok', () => {
        if (++joins === 1) resolve();
      });
    });
    lobby.push('boom', {});
    await errored;
    expect(terminations).toContainEqual(['room:lobby', 'error']);
    expect(quiet.error).toHaveBeenCalled();
    // The other topic and the socket carry on.
    expect((await pushed(other, 'ping', {})).status).toBe('ok');
    expect(socket.isConnected()).toBe(true);
    // phoenix.js rejoins the crashed topic on its own (rejoinAfterMs 50).
    await rejoined;
    expect((await pushed(lobby, 'ping', { again: true })).response).toEqual({ pong: { again: true } });
  });

  test('websocket_channels_test: channels are terminated if transport normally exits', async () => {
    const socket = await open();
    await joined(socket.channel('room:a'));
    await joined(socket.channel('room:b'));
    await new Promise<void>((resolve) => socket.disconnect(() => resolve()));
    await waitFor(() => terminations.length === 2, 2000, 'both channels terminated');
    expect(terminations.map(([t, r]) => `${t}:${r}`).sort()).toEqual(['room:a:closed', 'room:b:closed']);
  });

  test('a channel that leaves on its own sends phx_close; the client sees the channel closed', async () => {
    const socket = await open();
    const room = socket.channel('room:lobby');
    await joined(room);
    const closed = channelEvent(room, 'close');
    room.push('stop_me', {});
    await closed;
    expect(terminations).toEqual([['room:lobby', 'stop']]);
  });

  test('handleInfo gets messages sent with sendInfo to the socket\'s layer channel', async () => {
    const socket = await open();
    const room = socket.channel('room:lobby');
    await joined(room);
    const infos = collect(room, 'info');
    await pushed(room, 'info_me', { value: 'tick' });
    expect(await infos.next(1)).toEqual([{ value: 'tick' }]);
  });

  test('heartbeats are answered: the connection outlives several heartbeat intervals', async () => {
    const socket = phxSocket(server.endpoint, { params: { token: 'alice' }, heartbeatIntervalMs: 40 });
    const replies: unknown[] = [];
    socket.onMessage((m: object) => {
      if ((m as { topic: string }).topic === 'phoenix') replies.push(m);
    });
    let closes = 0;
    socket.onClose(() => {
      closes++;
    });
    await connected(socket);
    await waitFor(() => replies.length >= 4, 3000, 'four heartbeat replies');
    expect(replies[0]).toMatchObject({ topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} } });
    expect(closes).toBe(0);
  });
});
