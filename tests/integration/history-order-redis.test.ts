/**
 * On both Redis layers, a member in a process that sends to a group with
 * history gets the group's messages in offset order, its own process's
 * included: a recovering client resumes from the last offset it saw, so an
 * earlier offset arriving after a later one would be lost to it. Here a proxy
 * holds what Redis delivers to the receiving process (published messages on
 * the pub/sub layer, popped ones on the core layer) until that process has
 * sent a message of its own.
 */
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { deferred } from '../helpers';
import { testPrefix, within } from './redis-helpers';
import { redisProxy } from './fixtures/redis-proxy';

const history = [['chat_*', { size: 100, ttl: 300 }]] as const;

/** A proxy that, once `hold()` is called, holds what Redis sends on connections that sent `marker`. */
async function holdingProxy(marker: RegExp) {
  let holding = false;
  const held: Array<() => void> = [];
  const arrived = deferred<void>();
  const proxy = await redisProxy({
    fromClient(chunk, forward, connection) {
      if (marker.test(chunk.toString('latin1'))) connection.tags.add('marked');
      forward();
    },
    fromRedis(chunk, forward, connection) {
      if (!(holding && connection.tags.has('marked'))) return forward();
      held.push(forward);
      arrived.resolve();
    },
  });
  return {
    url: proxy.url,
    hold: () => (holding = true),
    arrived: arrived.promise,
    release: () => {
      holding = false;
      for (const write of held.splice(0)) write();
    },
    close: () => proxy.close(),
  };
}

const layers = [
  ['RedisPubSubChannelLayer', /subscribe/i, (url: string, prefix: string) => new RedisPubSubChannelLayer({ url, prefix, history })],
  ['RedisChannelLayer', /BZMPOP|BZPOPMIN/, (url: string, prefix: string) => new RedisChannelLayer({ url, prefix, history })],
] as const;

it.each(layers)("%s: a sending process's member gets the group's messages in offset order, its own process's included", async (_name, marker, make) => {
  const prefix = testPrefix('hist-order');
  const proxy = await holdingProxy(marker);
  const here = make(proxy.url, prefix);
  const other = make(process.env.REDIS_URL!, prefix);
  try {
    const member = await here.newChannel();
    await here.groupAdd('chat_room', member);
    // Reading before anything is sent (the core layer pops, and serves its own members directly, only while someone reads).
    let early: unknown = null;
    const first = here.receive(member).then((message) => (early = message));
    await here.groupMembers('chat_room');
    proxy.hold();
    // The other process's message takes offset 1 and waits in the proxy on its way to this process.
    expect(await other.groupSend('chat_room', { type: 'chat.message', text: 'theirs' })).toMatchObject({ offset: 1 });
    await within(proxy.arrived, "the other process's message at the proxy");
    expect(await here.groupSend('chat_room', { type: 'chat.message', text: 'ours' })).toMatchObject({ offset: 2 });
    // Nothing reaches the member ahead of offset 1.
    await here.groupMembers('chat_room');
    await new Promise((resolve) => setImmediate(resolve));
    expect(early).toBeNull();
    proxy.release();
    const got = [await within(first, 'the first message'), await within(here.receive(member), 'the second message')] as unknown as Array<{ text: string; __offset__: number }>;
    expect(got.map((message) => [message.text, message.__offset__])).toEqual([
      ['theirs', 1],
      ['ours', 2],
    ]);
  } finally {
    proxy.release();
    await Promise.all([here.close(), other.close()]);
    await proxy.close();
  }
});
