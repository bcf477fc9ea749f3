import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import { PresenceTracker, type PresenceEvents } from '../../../src/presence/presence-tracker';
import type { PresenceChange } from '../../../src/presence/presence-state';

/** Resolve with the first matching event, or fail after `ms`. */
function next(
  tracker: PresenceTracker,
  kind: 'join' | 'leave' | 'update',
  match: (c: PresenceChange) => boolean = () => true,
  ms = 3000,
): Promise<PresenceChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      tracker.off(kind, listener);
      reject(new Error(`no ${kind} event within ${ms} ms`));
    }, ms);
    const listener = (change: PresenceChange): void => {
      if (!match(change)) return;
      clearTimeout(timer);
      tracker.off(kind, listener);
      resolve(change);
    };
    tracker.on(kind, listener);
  });
}

/** Wait until `check` passes, re-checking on every presence event of `tracker`. */
function until(tracker: PresenceTracker, check: () => boolean, ms = 3000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const kinds: Array<keyof PresenceEvents> = ['join', 'leave', 'update'];
    const timer = setTimeout(() => {
      done();
      reject(new Error(`condition not met within ${ms} ms`));
    }, ms);
    const listener = (): void => {
      if (!check()) return;
      done();
      resolve();
    };
    const done = (): void => {
      clearTimeout(timer);
      for (const k of kinds) tracker.off(k, listener);
    };
    for (const k of kinds) tracker.on(k, listener);
  });
}

describe('PresenceTracker', () => {
  let layer: InMemoryChannelLayer;
  const trackers: PresenceTracker[] = [];
  const make = (options: ConstructorParameters<typeof PresenceTracker>[1] = {}): PresenceTracker => {
    const t = new PresenceTracker(layer, { heartbeatMs: 50, ...options });
    t.on('error', (e) => {
      throw e;
    });
    trackers.push(t);
    return t;
  };

  beforeEach(() => {
    layer = new InMemoryChannelLayer();
  });
  afterEach(async () => {
    await Promise.all(trackers.splice(0).map((t) => t.close()));
    await layer.close();
  });

  it('emits join and leave locally and lists members with meta', async () => {
    const a = make();
    const joined = next(a, 'join');
    await a.track('lobby', 'alice', 'c1', { name: 'Alice' });
    expect(await joined).toMatchObject({ kind: 'join', group: 'lobby', id: 'alice', meta: { name: 'Alice' }, connections: 1, node: a.node });
    expect(a.list('lobby')).toEqual([{ id: 'alice', meta: { name: 'Alice' }, connections: 1 }]);
    expect(a.groups()).toEqual(['lobby']);
    const left = next(a, 'leave');
    await a.untrack('lobby', 'alice', 'c1');
    expect(await left).toMatchObject({ kind: 'leave', id: 'alice', connections: 0 });
    expect(a.list('lobby')).toEqual([]);
  });

  it('replicates joins and leaves to another tracker on the same layer', async () => {
    const a = make();
    const b = make();
    await Promise.all([a.ready(), b.ready()]);
    const seen = next(b, 'join', (c) => c.id === 'alice');
    await a.track('lobby', 'alice', 'c1', { name: 'Alice' });
    const change = await seen;
    expect(change.node).toBe(a.node);
    expect(b.list('lobby')).toEqual([{ id: 'alice', meta: { name: 'Alice' }, connections: 1 }]);
    const gone = next(b, 'leave', (c) => c.id === 'alice');
    await a.untrackConnection('c1');
    await gone;
    expect(b.list('lobby')).toEqual([]);
  });

  it('untrackConnection leaves every group the connection was tracked in, and only those', async () => {
    const a = make();
    await a.ready();
    await a.track('g1', 'alice', 'c1');
    await a.track('g2', 'alice', 'c1');
    await a.track('g3', 'alice', 'c1');
    await a.track('g1', 'bob', 'c2');
    await a.untrack('g2', 'alice', 'c1');
    await a.untrackConnection('c1');
    expect(a.groups()).toEqual(['g1']);
    expect(a.list('g1').map((m) => m.id)).toEqual(['bob']);
    await a.track('g3', 'alice', 'c1');
    await a.untrackConnection('c1');
    expect(a.list('g3')).toEqual([]);
  });

  it('a member with several tabs (on several nodes) is one member; leave after the last tab', async () => {
    const a = make();
    const b = make();
    await Promise.all([a.ready(), b.ready()]);
    const joins: string[] = [];
    const leaves: string[] = [];
    b.on('join', (c) => joins.push(c.id));
    b.on('leave', (c) => leaves.push(c.id));
    await a.track('room', 'alice', 'tab1');
    await a.track('room', 'alice', 'tab2');
    await b.track('room', 'alice', 'tab3');
    await until(b, () => b.get('room', 'alice')?.connections === 3);
    await until(a, () => a.get('room', 'alice')?.connections === 3);
    expect(a.list('room')).toHaveLength(1);
    await a.untrackConnection('tab1');
    await b.untrackConnection('tab3');
    await until(b, () => b.get('room', 'alice')?.connections === 1);
    expect(leaves).toEqual([]);
    const left = next(b, 'leave');
    await a.untrackConnection('tab2');
    await left;
    expect(joins).toEqual(['alice']);
    expect(leaves).toEqual(['alice']);
  });

  it('a tracker that starts later receives the existing state', async () => {
    const a = make();
    await a.track('lobby', 'alice', 'c1', { n: 1 });
    await a.track('other', 'bob', 'c2');
    const late = make();
    await until(late, () => late.list('lobby').length === 1 && late.list('other').length === 1);
    expect(late.get('lobby', 'alice')).toEqual({ id: 'alice', meta: { n: 1 }, connections: 1 });
  });

  it('drops the members of a node that dies, within the timeout', async () => {
    const a = make({ heartbeatMs: 40, timeoutMs: 120 });
    const b = make({ heartbeatMs: 40, timeoutMs: 120 });
    await Promise.all([a.ready(), b.ready()]);
    await a.track('lobby', 'alice', 'c1');
    await b.track('lobby', 'bob', 'c2');
    await until(b, () => b.list('lobby').length === 2);
    await until(a, () => a.list('lobby').length === 2);
    const started = Date.now();
    const left = next(b, 'leave', (c) => c.id === 'alice', 2000);
    await a.kill();
    const change = await left;
    const elapsed = Date.now() - started;
    expect(change.node).toBe(a.node);
    // timeoutMs plus at most one sweep period, plus scheduling slack.
    expect(elapsed).toBeGreaterThanOrEqual(60);
    expect(elapsed).toBeLessThan(1000);
    expect(b.list('lobby')).toEqual([{ id: 'bob', meta: {}, connections: 1 }]);
  });

  it('a node that closes is dropped at once by its peers', async () => {
    const a = make({ heartbeatMs: 10_000 });
    const b = make({ heartbeatMs: 10_000 });
    await Promise.all([a.ready(), b.ready()]);
    await a.track('lobby', 'alice', 'c1');
    await until(b, () => b.list('lobby').length === 1);
    const left = next(b, 'leave', () => true, 2000);
    await a.close();
    await left;
    expect(b.list('lobby')).toEqual([]);
  });

  it('a burst of joins travels as one delta', async () => {
    const a = make();
    const b = make();
    await Promise.all([a.ready(), b.ready()]);
    const sent: unknown[] = [];
    const groupSend = layer.groupSend.bind(layer);
    layer.groupSend = async (group, message) => {
      if (message.type === 'presence.delta') sent.push(message);
      return groupSend(group, message);
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.track('big', `m${i}`, `c${i}`)));
    await until(b, () => b.list('big').length === 50);
    expect(sent).toHaveLength(1);
  });

  it('recovers from a lost delta at the next heartbeat', async () => {
    const a = make({ heartbeatMs: 40 });
    const b = make({ heartbeatMs: 40 });
    await Promise.all([a.ready(), b.ready()]);
    const groupSend = layer.groupSend.bind(layer);
    let dropNext = true;
    layer.groupSend = async (group, message) => {
      if (message.type === 'presence.delta' && dropNext) {
        dropNext = false;
        return { dropped: 0 };
      }
      return groupSend(group, message);
    };
    await a.track('lobby', 'alice', 'c1');
    await until(b, () => b.list('lobby').length === 1);
    expect(dropNext).toBe(false);
  });

  it('meta changes on a tracked connection are updates', async () => {
    const a = make();
    const b = make();
    await Promise.all([a.ready(), b.ready()]);
    await a.track('g', 'alice', 'c1', { typing: false });
    await until(b, () => b.list('g').length === 1);
    const updated = next(b, 'update');
    await a.track('g', 'alice', 'c1', { typing: true });
    expect(await updated).toMatchObject({ id: 'alice', meta: { typing: true }, connections: 1 });
  });

  it('refuses bad options and arguments, and calls after close', async () => {
    expect(() => new PresenceTracker(layer, { heartbeatMs: 100, timeoutMs: 100 })).toThrow(/timeoutMs/);
    expect(() => new PresenceTracker(layer, { heartbeatMs: -1 })).toThrow(/heartbeatMs/);
    const a = make();
    await expect(a.track('', 'x', 'c')).rejects.toThrow(/group/);
    await expect(a.track('g', 'x', 'c', { bad: undefined } as never)).rejects.toThrow(/undefined/);
    await a.close();
    await expect(a.track('g', 'x', 'c')).rejects.toMatchObject({ code: 'ERR_LAYER_CLOSED' });
  });

  it('trackers on different topics ignore each other', async () => {
    const a = make({ topic: 'presence.one' });
    const b = make({ topic: 'presence.two' });
    const c = make({ topic: 'presence.one' });
    await Promise.all([a.ready(), b.ready(), c.ready()]);
    await a.track('lobby', 'alice', 'c1');
    await until(c, () => c.list('lobby').length === 1);
    expect(b.list('lobby')).toEqual([]);
  });
});
