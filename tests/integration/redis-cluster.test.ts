/**
 * RedisPubSubChannelLayer on a six-node Redis Cluster started by the test:
 * group and inbox topics go over sharded pub/sub (SSUBSCRIBE/SPUBLISH) and
 * spread over the masters; groups and direct sends work across layers.
 */
import { createClient } from 'redis';
import { closeChannelLayers, configureChannelLayers } from '../../src/layers/registry';
import { URLRouter, path } from '../../src/routing/url-router';
import { closeAll, startServer } from '../helpers';
import { Harness } from '../contract/harness';
import { historyCases } from '../contract/cases/history';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { startThrowawayCluster, type ThrowawayCluster } from '../setup/redis-server';
import { nextEvent, testPrefix, within } from './redis-helpers';
import { scaled } from '../setup/calibrate';
import { reconnectUntilEveryMessage, recoveringChat } from './fixtures/recovering-chat';

jest.setTimeout(scaled(40_000));

let cluster: ThrowawayCluster;
const layers: RedisPubSubChannelLayer[] = [];

beforeAll(async () => {
  cluster = await startThrowawayCluster();
}, scaled(40_000));

afterAll(async () => {
  await Promise.all(layers.map((layer) => layer.close()));
  await cluster?.stop();
});

it('fans out groups and direct sends over sharded pub/sub across the masters', async () => {
  const prefix = testPrefix('cluster');
  const a = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix });
  const b = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix });
  layers.push(a, b);
  const groups = Array.from({ length: 16 }, (_, i) => `room.${i}`);
  const members = new Map<string, string>();
  for (const group of groups) {
    const channel = await a.newChannel();
    members.set(group, channel);
    await a.groupAdd(group, channel);
  }
  expect(await b.groupMembers('room.3')).toEqual([members.get('room.3')]);

  // The group topics are shard channels, spread over more than one master.
  const holders = new Set<number>();
  for (const server of cluster.servers) {
    const client = createClient({ url: server.url });
    client.on('error', () => undefined);
    await client.connect();
    const topics = (await client.sendCommand(['PUBSUB', 'SHARDCHANNELS', `${prefix}:gt:*`])) as string[];
    if (topics.length > 0) holders.add(server.port);
    client.destroy();
  }
  expect(holders.size).toBeGreaterThan(1);

  for (const [i, group] of groups.entries()) await b.groupSend(group, { type: 'news', i, bytes: Buffer.from([i]) });
  for (const [i, group] of groups.entries()) {
    const got = await within(a.receive(members.get(group)!), `the message for ${group}`);
    expect(got).toEqual({ type: 'news', i, bytes: Buffer.from([i]) });
  }
  const target = members.get('room.0')!;
  await b.send(target, { type: 'direct' });
  expect(await within(a.receive(target), 'a direct send')).toEqual({ type: 'direct' });

  // Named channels need queues, which cluster mode does not offer: refused with a clear error.
  await expect(b.send('worker.jobs', { type: 'job' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });

  // flush reaches every master.
  await a.flush();
  expect(await b.groupMembers('room.3')).toEqual([]);
  expect(await b.groupMembers('room.11')).toEqual([]);
});

it('stores and publishes a history group message in one script in the topic slot', async () => {
  const prefix = testPrefix('cluster-history');
  const history = [['hist.*', { size: 10, ttl: 60 }]] as const;
  const a = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix, history });
  const b = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix, history });
  layers.push(a, b);
  const groups = Array.from({ length: 6 }, (_, i) => `hist.${i}`);
  const channels = new Map<string, string>();
  for (const group of groups) {
    const channel = await a.newChannel();
    channels.set(group, channel);
    await a.groupAdd(group, channel);
  }
  for (const group of groups) {
    const sent = await b.groupSend(group, { type: 'news', group });
    expect(sent.offset).toBe(1);
    expect(await within(a.receive(channels.get(group)!), `the message for ${group}`)).toEqual({ type: 'news', group, __offset__: 1, __epoch__: sent.epoch });
    const history = await a.groupHistory(group, { since: { offset: 0, epoch: sent.epoch! } });
    expect(history).toMatchObject({ offset: 1, epoch: sent.epoch, recovered: true });
    expect(history.messages.map((m) => m.message.group)).toEqual([group]);
  }
});

/** How many times the masters and replicas of the cluster have run `command` so far. */
async function commandCalls(command: string): Promise<number> {
  let calls = 0;
  for (const server of cluster.servers) {
    const client = createClient({ url: server.url });
    client.on('error', () => undefined);
    await client.connect();
    const stats = await client.info('commandstats');
    client.destroy();
    calls += Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  }
  return calls;
}

it('never unsubscribes a topic it keeps: one subscribed while the first connection is set up stays subscribed', async () => {
  // The connection's setup reports each node ready; that report must not resubscribe the topics
  // (unsubscribe, then subscribe again): what is published in between would be lost to this process.
  const unsubscribed = await commandCalls('sunsubscribe');
  const prefix = testPrefix('cluster-setup');
  const layer = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix });
  const sender = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix });
  layers.push(layer, sender);
  const channel = await layer.newChannel(); // its inbox topic is subscribed while the layer connects
  await layer.groupAdd('room', channel);
  for (let i = 0; i < 20; i++) {
    await sender.groupSend('room', { type: 'news', i });
    await sender.send(channel, { type: 'direct', i });
    // Both arrive, in either order: the group and inbox topics may live on different shards,
    // whose connections this process reads independently (no order across topics).
    const got = [await within(layer.receive(channel), `message ${i}`), await within(layer.receive(channel), `message ${i}`)];
    got.sort((x, y) => String(x.type).localeCompare(String(y.type)));
    expect(got).toEqual([
      { type: 'direct', i },
      { type: 'news', i },
    ]);
  }
  expect(await commandCalls('sunsubscribe')).toBe(unsubscribed);
});

it('after its connections are killed, reports the loss, subscribes its topics again and delivers', async () => {
  const prefix = testPrefix('cluster-loss');
  const layer = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix });
  const sender = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix });
  layers.push(layer, sender);
  const channel = await layer.newChannel();
  await layer.groupAdd('room', channel);
  const disconnected = nextEvent(layer, 'disconnected');
  const reconnected = nextEvent(layer, 'reconnected');
  for (const server of cluster.servers) {
    const client = createClient({ url: server.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    client.destroy();
  }
  await disconnected;
  await reconnected;
  await sender.groupSend('room', { type: 'news' });
  expect(await within(layer.receive(channel), 'the group message after the loss')).toEqual({ type: 'news' });
  // Received before the next send: the inbox topic may be on another shard (no order across topics).
  await sender.send(channel, { type: 'direct' });
  expect(await within(layer.receive(channel), 'the direct message after the loss')).toEqual({ type: 'direct' });
});

describe('the history contract on Redis Cluster', () => {
  // The conformance suite's history cases (retention by size and ttl, epochs, flush, recovery
  // answers, two processes sharing one history), with every stream in its group's slot.
  let prefix = '';
  const harness = new Harness(async (options) => new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix, ...options }), { crossInstance: true, namedChannels: false });
  beforeEach(() => {
    prefix = testPrefix('cluster-contract');
    harness.reset();
  });
  afterEach(() => harness.closeAll());
  historyCases(harness);
});

describe('recovery on Redis Cluster', () => {
  // The history-recovery suite's exactly-once check (tests/integration/history-recovery.test.ts),
  // here with the stream and the group in their slot of a cluster.
  const Chat = recoveringChat('cluster-recovery');

  afterEach(async () => {
    await closeAll();
    await closeChannelLayers();
    configureChannelLayers(null);
  });

  it('a client that keeps reconnecting with since gets every message once, in order, while another process broadcasts', async () => {
    const MESSAGES = 200;
    const PER_CONNECTION = 29;
    const prefix = testPrefix('cluster-recovery');
    const history = [['chat_*', { size: 1000, ttl: 300 }]] as const;
    const serverLayer = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix, history });
    const senderLayer = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix, history });
    layers.push(senderLayer);
    configureChannelLayers({ 'cluster-recovery': serverLayer });
    const server = await startServer(URLRouter([path('ws/chat/', Chat.asApp())]));
    const { received, reconnects, replayed } = await reconnectUntilEveryMessage(`${server.url}/ws/chat/`, senderLayer, MESSAGES, PER_CONNECTION);
    expect(received).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    expect(reconnects).toBeGreaterThanOrEqual(5);
    expect(replayed).toBeGreaterThan(0);
  });
});
