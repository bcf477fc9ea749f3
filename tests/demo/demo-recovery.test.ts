/**
 * The demo's recovery contract (docs/demo.md), with the real phoenix.js
 * client, on the in-memory layer (one demo) and on Redis (two demos in this
 * process, on two connections, as two processes would be):
 *
 * - every broadcast `new_msg` of `room:<room>` carries `offset` (integer, +1
 *   per message in an epoch) and `epoch` (string), and so do tutorial frames;
 * - a join with `{since}` gets, as `new_msg` and in order, everything after
 *   it that history holds, then live ones, none twice; the reply has
 *   `recovered`, `epoch` and `offset`;
 * - a join without `since` gets the room's last 50 messages that way;
 * - history keeps at least the last 100 messages of a room.
 */
import type { Socket } from 'phoenix';
import WebSocket from 'ws';
import { closeChannelLayers, configureChannelLayers, getChannelLayer } from 'switchyard-channels';
import { createDemo, type Demo } from '../../demo/create-demo';
import { demoLayerConfig } from '../../demo/history';
import { closeAll, connectClient, tryConnect, waitFor } from '../helpers';
import { collect, connected, joined, phxSocket, pushed, type Reply } from '../phoenix/phoenix-clients';
import { joinRoom, nextChat, nextOfType, wsBase, type Frame } from './demo-clients';
import { redisLayerUrl } from './redis-url';

const demosToClose: Demo[] = [];

type Line = { body: string; name: string; time: string; offset: number; epoch: string; private?: true };

/** A phoenix.js socket as `name` on `demo`, with the Origin the demo checks. */
function socketFor(demo: Demo, name: string): Socket {
  const WebSocketWithOrigin = class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { Origin: demo.url } });
    }
  };
  return phxSocket(`${wsBase(demo.url)}/socket`, { params: { name }, transport: WebSocketWithOrigin as never });
}

/** A room page's bookkeeping: the last position seen, sent on every (re)join; every join reply. */
function recoveringRoom(socket: Socket, room: string) {
  let last: { offset: number; epoch: string } | null = null;
  const channel = socket.channel(`room:${room}`, () => (last === null ? {} : { since: last }));
  const lines = collect<Line>(channel, 'new_msg');
  channel.on('new_msg', (line: Line) => {
    if (typeof line.offset === 'number') last = { offset: line.offset, epoch: line.epoch };
  });
  const replies: Reply[] = [];
  channel
    .join()
    .receive('ok', (response) => replies.push({ status: 'ok', response }))
    .receive('error', (response) => replies.push({ status: 'error', response }));
  return { channel, lines, replies, last: () => last };
}

async function say(channel: ReturnType<Socket['channel']>, body: string): Promise<void> {
  expect(await pushed(channel, 'new_msg', { body })).toMatchObject({ status: 'ok' });
}

const bodies = (lines: Line[]) => lines.map((line) => line.body);
const range = (from: number, to: number, label: string) => Array.from({ length: to - from + 1 }, (_, i) => `${label} ${from + i}`);

interface Setup {
  /** Where the recovering client connects. */
  reader: () => Demo;
  /** Where the other client keeps sending. */
  writer: () => Demo;
}

function describeRecovery(name: string, start: () => Promise<{ reader: Demo; writer: Demo }>, stop: () => Promise<void>): void {
  describe(name, () => {
    let demos: { reader: Demo; writer: Demo };
    const setup: Setup = { reader: () => demos.reader, writer: () => demos.writer };
    beforeAll(async () => {
      demos = await start();
    });
    afterEach(closeAll);
    afterAll(stop);

    test('every broadcast new_msg carries an integer offset, +1 per message, and a string epoch', async () => {
      const socket = socketFor(setup.reader(), 'Reader');
      await connected(socket);
      const room = socket.channel('room:rec-stamps');
      const lines = collect<Line>(room, 'new_msg');
      expect(await joined(room)).toMatchObject({ status: 'ok', response: { recovered: true, offset: 0, epoch: expect.any(String) } });
      const writer = socketFor(setup.writer(), 'Writer');
      await connected(writer);
      const out = writer.channel('room:rec-stamps');
      await joined(out);
      for (let n = 1; n <= 5; n++) await say(out, `line ${n}`);
      await lines.next(5);
      expect(lines.items.map((l) => l.offset)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(lines.items.map((l) => l.epoch)).size).toBe(1);
      expect(typeof lines.items[0]!.epoch).toBe('string');
    });

    test('a client that loses its connection and rejoins with since gets every message once, in order, while another keeps sending', async () => {
      const socket = socketFor(setup.reader(), 'Reader');
      await connected(socket);
      const reader = recoveringRoom(socket, 'rec-gap');
      await waitFor(() => reader.replies.length === 1, 5000, 'first join');
      const writer = socketFor(setup.writer(), 'Writer');
      await connected(writer);
      const out = writer.channel('room:rec-gap');
      await joined(out);

      for (let n = 1; n <= 10; n++) await say(out, `line ${n}`);
      await reader.lines.next(10);
      socket.disconnect();
      await waitFor(() => !socket.isConnected(), 5000, 'reader disconnected');
      for (let n = 11; n <= 30; n++) await say(out, `line ${n}`);
      const reopened = new Promise<void>((resolve) => socket.onOpen(() => resolve()));
      socket.connect();
      // Keep sending while the reader reconnects and rejoins: replay and live meet somewhere in here.
      for (let n = 31; n <= 60; n++) {
        await say(out, `line ${n}`);
        if (n === 33) await reopened;
      }
      await reader.lines.next(60);
      await waitFor(() => reader.replies.length === 2, 5000, 'rejoin reply');

      expect(bodies(reader.lines.items)).toEqual(range(1, 60, 'line'));
      expect(reader.lines.items.map((l) => l.offset)).toEqual(range(1, 60, '').map((_, i) => i + 1));
      const rejoin = reader.replies[1]!;
      expect(rejoin).toMatchObject({ status: 'ok', response: { recovered: true, epoch: reader.lines.items[0]!.epoch, room: 'rec-gap', name: 'Reader' } });
      expect(rejoin.response.offset).toBeGreaterThanOrEqual(30);
    });

    test('a newcomer gets the last 50 messages as new_msg, in order, then live ones', async () => {
      const writer = socketFor(setup.writer(), 'Writer');
      await connected(writer);
      const out = writer.channel('room:rec-newcomer');
      await joined(out);
      for (let n = 1; n <= 60; n++) await say(out, `old ${n}`);
      const socket = socketFor(setup.reader(), 'Newcomer');
      await connected(socket);
      const room = socket.channel('room:rec-newcomer');
      const lines = collect<Line>(room, 'new_msg');
      expect(await joined(room)).toMatchObject({ status: 'ok', response: { recovered: true, offset: 60 } });
      await lines.next(50);
      await say(out, 'new 1');
      await lines.next(51);
      expect(bodies(lines.items)).toEqual([...range(11, 60, 'old'), 'new 1']);
      expect(lines.items.map((l) => l.offset)).toEqual([...range(11, 61, '').map((_, i) => i + 11)]);
    });

    test('history keeps the last 100 messages: a client away for 100 gets them all', async () => {
      const socket = socketFor(setup.reader(), 'Reader');
      await connected(socket);
      const reader = recoveringRoom(socket, 'rec-hundred');
      await waitFor(() => reader.replies.length === 1, 5000, 'first join');
      const writer = socketFor(setup.writer(), 'Writer');
      await connected(writer);
      const out = writer.channel('room:rec-hundred');
      await joined(out);
      await say(out, 'before');
      await reader.lines.next(1);
      socket.disconnect();
      await waitFor(() => !socket.isConnected(), 5000, 'reader disconnected');
      for (let n = 1; n <= 100; n++) await say(out, `away ${n}`);
      socket.connect();
      await reader.lines.next(101);
      await waitFor(() => reader.replies.length === 2, 5000, 'rejoin reply');
      expect(bodies(reader.lines.items)).toEqual(['before', ...range(1, 100, 'away')]);
      expect(reader.replies[1]!.response).toMatchObject({ recovered: true, offset: 101 });
    });

    test('a stale epoch is answered recovered: false, with the room epoch and offset, and the newest 50', async () => {
      const writer = socketFor(setup.writer(), 'Writer');
      await connected(writer);
      const out = writer.channel('room:rec-stale');
      await joined(out);
      for (let n = 1; n <= 3; n++) await say(out, `line ${n}`);
      const socket = socketFor(setup.reader(), 'Reader');
      await connected(socket);
      const room = socket.channel('room:rec-stale', { since: { offset: 2, epoch: 'an-old-epoch' } });
      const lines = collect<Line>(room, 'new_msg');
      const reply = await joined(room);
      expect(reply).toMatchObject({ status: 'ok', response: { recovered: false, offset: 3, epoch: expect.any(String) } });
      expect(reply.response.epoch).not.toBe('an-old-epoch');
      await lines.next(3);
      expect(bodies(lines.items)).toEqual(range(1, 3, 'line'));
    });

    test('a malformed since refuses the join with a reason', async () => {
      const socket = socketFor(setup.reader(), 'Reader');
      await connected(socket);
      const reply = await joined(socket.channel('room:rec-bad', { since: { offset: 'x', epoch: 'e' } }));
      expect(reply).toMatchObject({ status: 'error', response: { reason: expect.stringMatching(/offset/), code: 'ERR_INVALID_HISTORY_POSITION' } });
    });

    test('tutorial frames carry offset and epoch; ?since_offset&since_epoch replays what was missed after a recovery frame', async () => {
      const ann = await joinRoom(setup.writer().url, 'rec-tutorial', 'Ann', { events: false });
      const seen: Frame[] = [];
      for (let n = 1; n <= 3; n++) {
        ann.sendJson({ message: `t ${n}` });
        seen.push(await nextChat(ann));
      }
      expect(seen.map((f) => f.offset)).toEqual([1, 2, 3]);
      expect(typeof seen[0]!.epoch).toBe('string');
      for (let n = 4; n <= 6; n++) ann.sendJson({ message: `t ${n}` });
      for (let n = 4; n <= 6; n++) await nextChat(ann);

      const url = `${wsBase(setup.reader().url)}/ws/chat/rec-tutorial/?since_offset=3&since_epoch=${encodeURIComponent(String(seen[0]!.epoch))}`;
      const back = await connectClient(url, { headers: { Origin: setup.reader().url } });
      expect(await nextOfType(back, 'recovery')).toEqual({ type: 'recovery', recovered: true, epoch: seen[0]!.epoch, offset: 6 });
      const replayed = [await nextChat(back), await nextChat(back), await nextChat(back)];
      expect(replayed.map((f) => [f.message, f.offset])).toEqual([['t 4', 4], ['t 5', 5], ['t 6', 6]]);
      ann.sendJson({ message: 't 7' });
      expect(await nextChat(back)).toMatchObject({ message: 't 7', offset: 7 });

      const bad = await tryConnect(`${wsBase(setup.reader().url)}/ws/chat/rec-tutorial/?since_offset=3`, { headers: { Origin: setup.reader().url } });
      expect(bad).toMatchObject({ ok: false, status: 400 });
    });
  });
}

describeRecovery(
  'on the in-memory layer',
  async () => {
    configureChannelLayers({ default: demoLayerConfig('memory://') });
    const demo = await createDemo({ port: 0, bot: false });
    demosToClose.push(demo);
    return { reader: demo, writer: demo };
  },
  async () => {
    for (const demo of demosToClose.splice(0)) await demo.close({ closeLayers: false });
    await closeChannelLayers();
    configureChannelLayers(null);
  },
);

describeRecovery(
  'on Redis, across two demos',
  async () => {
    const { url } = redisLayerUrl('demo-recovery');
    configureChannelLayers({ reader: demoLayerConfig(url), writer: demoLayerConfig(url) });
    const reader = await createDemo({ port: 0, layerAlias: 'reader', bot: false });
    const writer = await createDemo({ port: 0, layerAlias: 'writer', bot: false });
    demosToClose.push(reader, writer);
    return { reader, writer };
  },
  async () => {
    for (const demo of demosToClose.splice(0)) await demo.close({ closeLayers: false });
    await getChannelLayer('reader')?.flush();
    await closeChannelLayers();
    configureChannelLayers(null);
  },
);
