/**
 * Recovery on Phoenix channels through the real phoenix.js client: a channel
 * that calls `recoverHistory` in `join`, a client that rejoins with
 * `{since: {offset, epoch}}` (phoenix.js evaluates the params function on
 * every rejoin), on the memory layer and on both Redis layers (two servers,
 * two layer instances, as two processes would be).
 */
import type { Socket } from 'phoenix';
import {
  Channel,
  InMemoryChannelLayer,
  RedisChannelLayer,
  RedisPubSubChannelLayer,
  Reply,
  broadcast,
  channel,
  closeChannelLayers,
  configureChannelLayers,
  phoenixSocket,
  sinceFromPayload,
  topicGroup,
  ProtocolTypeRouter,
  URLRouter,
  path,
  type ChannelLayer,
  type HistoryRetention,
} from '../../src/index';
import { closeAll, startServer, waitFor } from '../helpers';
import { PhoenixConnection } from '../../src/phoenix/socket-connection';
import { prefixPerTest } from '../helpers/redis-keys';
import { collect, connected, phxSocket, type Reply as PhxReply } from './phoenix-clients';

const TOPIC = 'room:lobby';

class RecoveringChannel extends Channel {
  override join(_topic: string, payload: unknown) {
    this.recoverHistory({ since: sinceFromPayload(payload), last: 3 });
    return Reply.ok({ hello: 'there' });
  }
}

type LayerFactory = (retention: HistoryRetention) => ChannelLayer;
const history = (retention: HistoryRetention) => ({ history: [[`${topicGroup('room:')}*`, retention]] as const });

const prefix = prefixPerTest('phx-recovery');
const layers: Array<[string, LayerFactory]> = [
  ['memory', (retention) => new InMemoryChannelLayer(history(retention))],
  ['redis core', (retention) => new RedisChannelLayer({ url: process.env.REDIS_URL!, prefix: prefix(), ...history(retention) })],
  ['redis pub/sub', (retention) => new RedisPubSubChannelLayer({ url: process.env.REDIS_URL!, prefix: prefix(), ...history(retention) })],
];

afterEach(async () => {
  await closeAll();
  await closeChannelLayers();
  configureChannelLayers(null);
});

/** Two servers (A, B) on two instances of a layer (one shared instance for memory). */
async function startTwo(name: string, make: LayerFactory, retention: HistoryRetention = { size: 100, ttl: 300 }) {
  const layerA = make(retention);
  const layerB = name === 'memory' ? layerA : make(retention);
  configureChannelLayers({ a: layerA, b: layerB });
  const serve = async (alias: string) => {
    const channels = [channel('room:*', RecoveringChannel), channel('nohistory:*', RecoveringChannel)];
    const socket = phoenixSocket({ connect: () => ({}), channels, layerAlias: alias, longpoll: false });
    const router = URLRouter([path('socket/', socket)]);
    const server = await startServer(ProtocolTypeRouter({ websocket: router }));
    return `${server.url}/socket`;
  };
  return { a: await serve('a'), b: await serve('b'), layerA, layerB };
}

/** A room client that remembers the position of the last new_msg and sends it on every (re)join. */
function recoveringClient(socket: Socket) {
  let last: { offset: number; epoch: string } | null = null;
  const channel = socket.channel(TOPIC, () => (last === null ? {} : { since: last }));
  const messages = collect<{ n: number; offset: number; epoch: string }>(channel, 'new_msg');
  channel.on('new_msg', (payload: { offset: number; epoch: string }) => {
    last = { offset: payload.offset, epoch: payload.epoch };
  });
  const replies: PhxReply[] = [];
  const join = channel.join();
  join.receive('ok', (response) => replies.push({ status: 'ok', response }));
  join.receive('error', (response) => replies.push({ status: 'error', response }));
  return { channel, messages, replies, position: () => last };
}

describe.each(layers)('Phoenix join with since (%s)', (name, make) => {
  test('a client that drops out and rejoins with since gets every broadcast exactly once, in order, while another process keeps broadcasting', async () => {
    const { a, layerB } = await startTwo(name, make);
    const socket = phxSocket(a);
    await connected(socket);
    const client = recoveringClient(socket);
    await waitFor(() => client.replies.length === 1, 5000, 'first join');
    expect(client.replies[0]).toMatchObject({ status: 'ok', response: { hello: 'there', recovered: true, offset: 0 } });

    const send = (n: number) => broadcast(TOPIC, 'new_msg', { n }, { layer: layerB });
    for (let n = 1; n <= 10; n++) await send(n);
    await client.messages.next(10);

    socket.disconnect();
    await waitFor(() => !socket.isConnected(), 5000, 'disconnected');
    for (let n = 11; n <= 40; n++) await send(n);
    // Reconnect while the other side keeps sending: some arrive by replay, some live, around the join.
    const reconnected = new Promise<void>((resolve) => socket.onOpen(() => resolve()));
    socket.connect();
    for (let n = 41; n <= 80; n++) {
      await send(n);
      if (n === 45) await reconnected;
    }
    await client.messages.next(80);
    await waitFor(() => client.replies.length === 2, 5000, 'rejoin reply');

    expect(client.messages.items.map((m) => m.n)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    const epoch = client.messages.items[0]!.epoch;
    expect(client.messages.items.map((m) => m.offset)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(client.messages.items.every((m) => m.epoch === epoch)).toBe(true);
    expect(client.replies[1]).toMatchObject({ status: 'ok', response: { hello: 'there', recovered: true, epoch } });
    expect(client.replies[1]!.response.offset).toBeGreaterThanOrEqual(40);
  });

  test('a stale epoch is not recovered: the reply says so and the newest `last` messages are replayed', async () => {
    const { a, layerB } = await startTwo(name, make);
    for (let n = 1; n <= 5; n++) await broadcast(TOPIC, 'new_msg', { n }, { layer: layerB });
    const socket = phxSocket(a);
    await connected(socket);
    const channel = socket.channel(TOPIC, { since: { offset: 2, epoch: 'gone-epoch' } });
    const messages = collect<{ n: number; offset: number }>(channel, 'new_msg');
    const reply = new Promise<any>((resolve) => channel.join().receive('ok', resolve));
    const response = await reply;
    expect(response).toMatchObject({ recovered: false, offset: 5 });
    expect(response.epoch).not.toBe('gone-epoch');
    await messages.next(3);
    await broadcast(TOPIC, 'new_msg', { n: 6 }, { layer: layerB });
    await messages.next(4);
    expect(messages.items.map((m) => m.n)).toEqual([3, 4, 5, 6]);
  });

  test('an offset older than what history keeps is not recovered; what history still holds after it is replayed', async () => {
    const { a, layerA, layerB } = await startTwo(name, make, { size: 10, ttl: 300 });
    for (let n = 1; n <= 30; n++) await broadcast(TOPIC, 'new_msg', { n }, { layer: layerB });
    const { epoch } = await layerA.groupHistory(topicGroup(TOPIC));
    const socket = phxSocket(a);
    await connected(socket);
    const channel = socket.channel(TOPIC, { since: { offset: 2, epoch } });
    const messages = collect<{ n: number }>(channel, 'new_msg');
    const response = await new Promise<any>((resolve) => channel.join().receive('ok', resolve));
    expect(response).toEqual({ hello: 'there', recovered: false, epoch, offset: 30 });
    await messages.next(10);
    expect(messages.items.map((m) => m.n)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });
});

describe('join payloads', () => {
  test('a malformed since refuses the join with a reason and its code', async () => {
    const { a } = await startTwo('memory', layers[0]![1]);
    const socket = phxSocket(a);
    await connected(socket);
    const bad = socket.channel('room:bad', { since: { offset: -1, epoch: 'x' } });
    const refused = await new Promise<any>((resolve) => bad.join().receive('error', resolve));
    expect(refused).toMatchObject({ code: 'ERR_INVALID_HISTORY_POSITION' });
    expect(String(refused.reason)).toMatch(/offset/);
  });

  test('recovery on a topic whose group keeps no history refuses the join and logs why', async () => {
    const logger = PhoenixConnection.logger;
    const quiet = { ...logger, warn: jest.fn(), error: jest.fn() };
    PhoenixConnection.logger = quiet as typeof logger;
    try {
      const { a } = await startTwo('memory', layers[0]![1]);
      const socket = phxSocket(a);
      await connected(socket);
      const plain = socket.channel('nohistory:x', {});
      const refused = await new Promise<any>((resolve) => plain.join().receive('error', resolve));
      expect(refused).toEqual({ reason: 'join crashed' });
      expect(quiet.error).toHaveBeenCalledWith(expect.stringContaining('subscribing to "nohistory:x" failed'), expect.objectContaining({ code: 'ERR_HISTORY_NOT_ENABLED' }));
    } finally {
      PhoenixConnection.logger = logger;
    }
  });
});
