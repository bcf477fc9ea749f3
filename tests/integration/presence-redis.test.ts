import { randomUUID } from 'node:crypto';
import type { ChannelLayer } from '../../src/layers/channel-layer';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { PresenceTracker } from '../../src/presence/presence-tracker';
import type { PresenceChange } from '../../src/presence/presence-state';

// Each tracker gets its own layer instance (own connections, own process token):
// as close to separate processes as one jest worker gets.
const BACKENDS: Array<[string, (prefix: string) => ChannelLayer]> = [
  ['Redis core layer', (prefix) => new RedisChannelLayer({ url: process.env.REDIS_URL, prefix })],
  ['Redis pub/sub layer', (prefix) => new RedisPubSubChannelLayer({ url: process.env.REDIS_URL, prefix })],
];

describe.each(BACKENDS)('PresenceTracker on the %s', (_name, makeLayer) => {
  const prefix = `presence-test-${randomUUID().slice(0, 8)}`;
  const layers: ChannelLayer[] = [];
  const trackers: PresenceTracker[] = [];

  const node = (): PresenceTracker => {
    const layer = makeLayer(prefix);
    layers.push(layer);
    const tracker = new PresenceTracker(layer, { heartbeatMs: 100, timeoutMs: 400 });
    trackers.push(tracker);
    return tracker;
  };

  const until = (tracker: PresenceTracker, check: () => boolean, ms = 5000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (check()) return resolve();
      const onChange = (): void => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`condition not met within ${ms} ms`));
      }, ms);
      const cleanup = (): void => {
        clearTimeout(timer);
        for (const k of ['join', 'leave', 'update'] as const) tracker.off(k, onChange);
      };
      for (const k of ['join', 'leave', 'update'] as const) tracker.on(k, onChange);
    });

  afterAll(async () => {
    await Promise.all(trackers.map((t) => t.close()));
    if (layers[0]) await layers[0].flush();
    await Promise.all(layers.map((l) => l.close()));
  });

  it('replicates members across nodes, counts tabs, and drops a dead node within the timeout', async () => {
    const a = node();
    const b = node();
    const c = node();
    await Promise.all([a.ready(), b.ready(), c.ready()]);

    await a.track('lobby', 'alice', 'a-tab1', { name: 'Alice' });
    await b.track('lobby', 'alice', 'b-tab2', { name: 'Alice' });
    await b.track('lobby', 'bob', 'b-tab1', { name: 'Bob' });
    await until(c, () => c.get('lobby', 'alice')?.connections === 2 && c.list('lobby').length === 2);

    const leaves: PresenceChange[] = [];
    c.on('leave', (change) => leaves.push(change));
    await b.kill();
    // alice stays (her tab on a), bob leaves once b's heartbeat is overdue.
    await until(c, () => c.list('lobby').length === 1, 3000);
    expect(c.list('lobby')).toEqual([{ id: 'alice', meta: { name: 'Alice' }, connections: 1 }]);
    expect(leaves.map((l) => l.id)).toEqual(['bob']);
    await until(a, () => a.list('lobby').length === 1, 3000);
  });
});
