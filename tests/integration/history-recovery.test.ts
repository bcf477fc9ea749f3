/**
 * Recovery for JSON consumers, end to end on every layer: a client that
 * keeps disconnecting and reconnecting with `?since_offset&since_epoch`
 * while another process keeps broadcasting gets every message exactly once,
 * in order (the replay from history, then live ones, with no gap or
 * duplicate at the boundary).
 */
import type { ChannelLayer } from '../../src/layers/channel-layer';
import { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../../src/layers/registry';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { URLRouter, path } from '../../src/routing/url-router';
import { closeAll, connectClient, startServer, tryConnect } from '../helpers';
import { reconnectUntilEveryMessage, recoveringChat } from './fixtures/recovering-chat';
import { testPrefix } from './redis-helpers';

jest.setTimeout(60_000);

const url = process.env.REDIS_URL!;
const history = [['chat_*', { size: 1000, ttl: 300 }]] as const;
const MESSAGES = 400;
const PER_CONNECTION = 37;

const Chat = recoveringChat('recovery');

const app = URLRouter([path('ws/chat/', Chat.asApp())]);

/** [server layer, sender layer]: two instances share Redis like two processes; memory has one world. */
const backends: Array<[string, () => [ChannelLayer, ChannelLayer]]> = [
  [
    'InMemoryChannelLayer',
    () => {
      const layer = new InMemoryChannelLayer({ history });
      return [layer, layer];
    },
  ],
  [
    'RedisChannelLayer',
    () => {
      const prefix = testPrefix('recovery');
      return [new RedisChannelLayer({ url, prefix, history }), new RedisChannelLayer({ url, prefix, history })];
    },
  ],
  [
    'RedisPubSubChannelLayer',
    () => {
      const prefix = testPrefix('recovery');
      return [new RedisPubSubChannelLayer({ url, prefix, history }), new RedisPubSubChannelLayer({ url, prefix, history })];
    },
  ],
];

describe.each(backends)('%s: recovery across reconnects', (_name, make) => {
  let sender: ChannelLayer;

  afterEach(async () => {
    await closeAll();
    await closeChannelLayers();
    configureChannelLayers(null);
    await sender?.close();
  });

  it('delivers every message exactly once, in order, while another process keeps broadcasting', async () => {
    const [serverLayer, senderLayer] = make();
    sender = senderLayer;
    configureChannelLayers({ recovery: serverLayer });
    const server = await startServer(app);
    const { received, reconnects, replayed } = await reconnectUntilEveryMessage(`${server.url}/ws/chat/`, senderLayer, MESSAGES, PER_CONNECTION);
    expect(received).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    expect(reconnects).toBeGreaterThanOrEqual(5);
    // Some messages were sent while the client was away and came from history.
    expect(replayed).toBeGreaterThan(0);
  });

  it('refuses a malformed since with 400 and reports a lost epoch as not recovered', async () => {
    const [serverLayer, senderLayer] = make();
    sender = senderLayer;
    configureChannelLayers({ recovery: serverLayer });
    const server = await startServer(app);
    const refused = await tryConnect(`${server.url}/ws/chat/?since_offset=abc&since_epoch=x`);
    expect(refused.ok ? 101 : refused.status).toBe(400);
    const half = await tryConnect(`${server.url}/ws/chat/?since_offset=3`);
    expect(half.ok ? 101 : half.status).toBe(400);
    await senderLayer.groupSend('chat_room', { type: 'chat.message', n: 1 });
    const stale = await connectClient(`${server.url}/ws/chat/?since_offset=5&since_epoch=gone`);
    expect(await stale.nextJson()).toMatchObject({ type: 'joined', recovered: false, offset: 1, replayed: 0 });
  });
});
