/**
 * The join-readiness rule of tests/integration/redis-pubsub-join-readiness.test.ts
 * on a Redis Cluster: a second local member joining a group while the
 * group's first SSUBSCRIBE is on its way resolves only once the subscription
 * is in force. The cluster client learns node addresses from CLUSTER SLOTS,
 * so each node announces a proxy's port (cluster-announce-port) and every
 * client connection, the layer's included, goes through the proxies; the one
 * in front of the node owning the group's topic holds its SSUBSCRIBE.
 */
import { createClient } from 'redis';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { deferred } from '../helpers';
import { scaled } from '../setup/calibrate';
import { startThrowawayCluster, type ThrowawayCluster } from '../setup/redis-server';
import { redisProxy, type RedisProxy } from './fixtures/redis-proxy';
import { testPrefix, within } from './redis-helpers';

jest.setTimeout(scaled(60_000));

/** Offset of a node's cluster bus port from its client port (Redis's default). */
const BUS_PORT_OFFSET = 10_000;

let cluster: ThrowawayCluster;
const proxies: RedisProxy[] = [];
/** Set by the test: a client chunk that SSUBSCRIBEs to this topic is held until `release`. */
let marker: string | undefined;
const held = deferred<void>();
const release = deferred<void>();

beforeAll(async () => {
  cluster = await startThrowawayCluster();
  for (const server of cluster.servers) {
    const proxy = await redisProxy(
      {
        fromClient(chunk, forward, { client }) {
          const text = chunk.toString('latin1');
          if (marker === undefined || !text.includes(marker) || !/ssubscribe/i.test(text)) return forward();
          marker = undefined; // held once: later chunks go on as they come
          client.pause();
          held.resolve();
          void release.promise.then(() => {
            forward();
            client.resume();
          });
        },
      },
      server.url,
    );
    proxies.push(proxy);
    const port = Number(new URL(proxy.url).port);
    const admin = createClient({ url: server.url });
    admin.on('error', () => undefined);
    await admin.connect();
    // The bus keeps the node's own port: only clients are sent to the proxy.
    await admin.sendCommand(['CONFIG', 'SET', 'cluster-announce-bus-port', String(server.port + BUS_PORT_OFFSET)]);
    await admin.sendCommand(['CONFIG', 'SET', 'cluster-announce-port', String(port)]);
    admin.destroy();
  }
  // Every node must hand out the proxies' ports before a layer asks for the slots.
  const proxyPorts = new Set(proxies.map((proxy) => Number(new URL(proxy.url).port)));
  const deadline = Date.now() + scaled(20_000);
  for (const server of cluster.servers) {
    const admin = createClient({ url: server.url });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      for (;;) {
        const slots = (await admin.sendCommand(['CLUSTER', 'SLOTS'])) as Array<[number, number, ...Array<[string, number, ...unknown[]]>]>;
        const ports = slots.flatMap(([, , ...nodes]) => nodes.map((node) => Number(node[1])));
        if (ports.length > 0 && ports.every((port) => proxyPorts.has(port))) break;
        if (Date.now() > deadline) throw new Error(`node ${server.port} still announces ${ports.join(', ')} instead of the proxies' ports`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      admin.destroy();
    }
  }
}, scaled(60_000));

afterAll(async () => {
  release.resolve();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await cluster?.stop();
});

it('a second member joining while the group is being subscribed resolves only once the subscription is in force', async () => {
  const prefix = testPrefix('cluster-join-ready');
  const hosts = proxies.map((proxy) => proxy.url);
  const layer = new RedisPubSubChannelLayer({ hosts, cluster: true, prefix });
  const sender = new RedisPubSubChannelLayer({ hosts, cluster: true, prefix });
  try {
    const first = await layer.newChannel();
    const second = await layer.newChannel();
    marker = `${prefix}:gt:room`;
    const firstJoin = layer.groupAdd('room', first);
    let secondJoined = false;
    const secondJoin = layer.groupAdd('room', second).then(() => (secondJoined = true));
    // Awaited below; a failure before that must not go unhandled when the layer closes.
    firstJoin.catch(() => undefined);
    secondJoin.catch(() => undefined);
    await within(held.promise, 'the SSUBSCRIBE of the group topic');
    // One more round trip on the connection of the group's key: its reply comes after both
    // joins' writes, so each join has had every chance to resolve.
    await layer.groupMembers('room');
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondJoined).toBe(false);
    release.resolve();
    await within(Promise.all([firstJoin, secondJoin]), 'both joins');
    await sender.groupSend('room', { type: 'news' });
    expect(await within(layer.receive(first), 'the first member')).toEqual({ type: 'news' });
    expect(await within(layer.receive(second), 'the second member')).toEqual({ type: 'news' });
  } finally {
    release.resolve();
    await Promise.all([layer.close(), sender.close()]);
  }
});
