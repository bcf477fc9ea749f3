/**
 * A pub/sub layer on a Redis Cluster that is not there yet when the layer is
 * created (the app starts before Redis): calls fail fast while it is away,
 * the layer keeps trying to connect in the background, and once the cluster
 * is up it reports `reconnected`, with the topics it was asked for meanwhile
 * subscribed, as a layer on a single server does.
 */
import { createServer, type AddressInfo } from 'node:net';
import { LayerUnavailable } from '../../src/errors';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { freePort, startThrowawayCluster, type ThrowawayCluster } from '../setup/redis-server';
import { scaled } from '../setup/calibrate';
import { nextEvent, testPrefix, within } from './redis-helpers';

jest.setTimeout(scaled(60_000));

/** Six distinct loopback ports where nothing listens (yet). */
async function sixFreePorts(): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < 6) ports.add(await freePort());
  return [...ports];
}

it('comes up once a cluster that was unreachable at its first connect is there, and delivers', async () => {
  const ports = await sixFreePorts();
  const hosts = ports.map((port) => `redis://127.0.0.1:${port}`);
  const prefix = testPrefix('cluster-first-connect');
  // Short backoff: the layers try again soon after the cluster is ready, also while it forms.
  const options = { hosts, cluster: true, prefix, retryMinDelay: 50, retryMaxDelay: 500 } as const;
  const a = new RedisPubSubChannelLayer(options);
  const b = new RedisPubSubChannelLayer(options);
  let cluster: ThrowawayCluster | undefined;
  try {
    await within(Promise.all([nextEvent(a, 'disconnected'), nextEvent(b, 'disconnected')]), 'both layers reporting the cluster unreachable');
    // An inbox topic asked for while the cluster is away: refused now, remembered for later (b asks for none).
    const inA = await a.newChannel();
    await expect(a.groupSend('room', { type: 'early' })).rejects.toBeInstanceOf(LayerUnavailable);
    await expect(a.groupAdd('room', inA)).rejects.toBeInstanceOf(LayerUnavailable);

    const reconnected = Promise.all([nextEvent(a, 'reconnected', 60_000), nextEvent(b, 'reconnected', 60_000)]);
    // Started on the ports the layers try: they may reach it while it forms, before it serves every slot.
    cluster = await startThrowawayCluster(ports);
    await within(reconnected, 'both layers reconnecting to the cluster', 30_000);
    const inB = await b.newChannel();

    await a.groupAdd('room', inA);
    await b.groupSend('room', { type: 'news' });
    expect(await within(a.receive(inA), 'the group message from the other layer')).toEqual({ type: 'news' });
    // Direct sends reach the inbox asked for while the cluster was away, and one asked for since.
    await b.send(inA, { type: 'to a' });
    expect(await within(a.receive(inA), 'the direct message to a')).toEqual({ type: 'to a' });
    await a.send(inB, { type: 'to b' });
    expect(await within(b.receive(inB), 'the direct message to b')).toEqual({ type: 'to b' });
  } finally {
    await Promise.all([a.close(), b.close()]);
    await cluster?.stop();
  }
});

it('stops trying to connect when closed while the cluster is unreachable', async () => {
  // A seed that takes each connection and drops it at once: every attempt shows up here.
  let attempts = 0;
  let counted: () => void = () => undefined;
  const seed = createServer((socket) => {
    attempts++;
    counted();
    socket.destroy();
  });
  await new Promise<void>((resolve) => seed.listen(0, '127.0.0.1', resolve));
  const { port } = seed.address() as AddressInfo;
  const retryMaxDelay = 200;
  const layer = new RedisPubSubChannelLayer({ hosts: [`redis://127.0.0.1:${port}`], cluster: true, prefix: testPrefix('cluster-first-connect-close'), retryMinDelay: 20, retryMaxDelay });
  try {
    await within(
      new Promise<void>((resolve) => {
        counted = () => attempts >= 3 && resolve();
        counted();
      }),
      'three connect attempts',
    );
    await within(layer.close(), 'close() while the layer keeps trying to connect');
    const afterClose = attempts;
    // Any retry still scheduled would be due within retryMaxDelay: none may come.
    await new Promise((resolve) => setTimeout(resolve, retryMaxDelay * 3));
    expect(attempts).toBe(afterClose);
  } finally {
    await layer.close();
    await new Promise((resolve) => seed.close(resolve));
  }
});
