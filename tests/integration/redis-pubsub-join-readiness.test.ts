/**
 * A join to a group on the pub/sub layer resolves only once this process's
 * subscription to the group's topic is in force, for every member that
 * joins, not only the first: the exactly-once recovery (join, then read the
 * history) relies on it. Here a proxy in front of Redis holds the group's
 * SUBSCRIBE while a second local member joins.
 */
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { deferred } from '../helpers';
import { testPrefix, within } from './redis-helpers';
import { redisProxy } from './fixtures/redis-proxy';

/** A proxy that holds, until released, what a client sends that contains `marker`. */
async function holdingProxy(marker: string) {
  const held = deferred<void>();
  const release = deferred<void>();
  const proxy = await redisProxy({
    fromClient(chunk, forward, { client }) {
      if (!chunk.includes(marker)) return forward();
      client.pause();
      held.resolve();
      void release.promise.then(() => {
        forward();
        client.resume();
      });
    },
  });
  return { url: proxy.url, held: held.promise, release: () => release.resolve(), close: () => proxy.close() };
}

it('a second member joining while the group is being subscribed resolves only once the subscription is in force', async () => {
  const prefix = testPrefix('join-ready');
  const proxy = await holdingProxy(`${prefix}:gt:room`);
  const layer = new RedisPubSubChannelLayer({ url: proxy.url, prefix });
  const sender = new RedisPubSubChannelLayer({ url: process.env.REDIS_URL!, prefix });
  try {
    const first = await layer.newChannel();
    const second = await layer.newChannel();
    const firstJoin = layer.groupAdd('room', first);
    let secondJoined = false;
    const secondJoin = layer.groupAdd('room', second).then(() => (secondJoined = true));
    // Awaited below; a failure before that must not go unhandled when the layer closes.
    firstJoin.catch(() => undefined);
    secondJoin.catch(() => undefined);
    await within(proxy.held, 'the SUBSCRIBE of the group topic');
    // One more round trip on the command connection: its reply comes after both joins' writes,
    // so each join has had every chance to resolve.
    await layer.groupMembers('room');
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondJoined).toBe(false);
    proxy.release();
    await within(Promise.all([firstJoin, secondJoin]), 'both joins');
    await sender.groupSend('room', { type: 'news' });
    expect(await within(layer.receive(first), 'the first member')).toEqual({ type: 'news' });
    expect(await within(layer.receive(second), 'the second member')).toEqual({ type: 'news' });
  } finally {
    proxy.release();
    await Promise.all([layer.close(), sender.close()]);
    await proxy.close();
  }
});
