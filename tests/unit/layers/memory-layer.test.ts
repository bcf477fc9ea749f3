import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import { memoryLayers } from '../../helpers/memory-layers';

const EMPTY = { channels: 0, groups: 0, memberships: 0, waiters: 0, messages: 0 };

function fakeClock(): { now: () => number; advance: (seconds: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (seconds) => (t += seconds * 1000) };
}

describe('InMemoryChannelLayer', () => {
  const make = memoryLayers();

  it('returns to baseline after traffic through channels, groups and receivers', async () => {
    const layer = make();
    expect(layer.stats()).toEqual(EMPTY);
    const locals = await Promise.all(Array.from({ length: 50 }, () => layer.newChannel()));
    for (const [i, channel] of locals.entries()) {
      await layer.groupAdd(`room.${i % 5}`, channel);
      await layer.send(channel, { type: 'direct', i });
      await layer.send(`plain.${i}`, { type: 'plain', i });
    }
    for (let g = 0; g < 5; g++) await layer.groupSend(`room.${g}`, { type: 'group', g });
    expect(layer.stats()).toMatchObject({ groups: 5, memberships: 50, messages: 150 });

    for (const channel of locals) {
      await layer.receive(channel);
      await layer.receive(channel);
    }
    for (let i = 0; i < 50; i++) await layer.receive(`plain.${i}`);
    // Waiters that got messages and waiters that were aborted leave nothing behind.
    const waiting = locals.slice(0, 10).map((c) => layer.receive(c));
    const controller = new AbortController();
    const aborted = locals.slice(10, 20).map((c) => layer.receive(c, { signal: controller.signal }).catch((e: Error) => e));
    expect(layer.stats().waiters).toBe(20);
    for (const c of locals.slice(0, 10)) await layer.send(c, { type: 'wake' });
    controller.abort();
    await Promise.all([...waiting, ...aborted]);
    for (const [i, channel] of locals.entries()) await layer.groupDiscard(`room.${i % 5}`, channel);
    expect(layer.stats()).toEqual(EMPTY);
  });

  it('sweeps expired messages and memberships nobody touches', async () => {
    const clock = fakeClock();
    const layer = make({ clock: clock.now, expiry: 10, groupExpiry: 20, sweepInterval: 0 });
    await layer.send('idle', { type: 'x' });
    await layer.send((await layer.newChannel()), { type: 'x' });
    await layer.groupAdd('room', 'idle');
    clock.advance(11);
    layer.sweep();
    expect(layer.stats()).toEqual({ ...EMPTY, groups: 1, memberships: 1 });
    clock.advance(10);
    layer.sweep();
    expect(layer.stats()).toEqual(EMPTY);
  });

  it('sweeps on its own timer', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const clock = fakeClock();
      const layer = make({ clock: clock.now, expiry: 5 });
      await layer.send('idle', { type: 'x' });
      clock.advance(6);
      expect(layer.stats().messages).toBe(1);
      jest.advanceTimersByTime(5000);
      expect(layer.stats().messages).toBe(0);
      await layer.close();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('counts capacity at the non-local name: local channels of one layer share it', async () => {
    const layer = make({ capacity: 2 });
    const a = await layer.newChannel();
    const b = await layer.newChannel();
    await layer.send(a, { type: 'one' });
    await layer.send(b, { type: 'two' });
    await expect(layer.send(a, { type: 'three' })).rejects.toMatchObject({ code: 'ERR_CHANNEL_FULL' });
    // A waiting receiver takes the message directly, so it is never counted.
    const c = await layer.newChannel();
    const pending = layer.receive(c);
    await layer.send(c, { type: 'direct' });
    await expect(pending).resolves.toEqual({ type: 'direct' });
    expect(await layer.receive(b)).toEqual({ type: 'two' });
    await layer.send(a, { type: 'room' });
  });

  it('matches capacity patterns against the non-local name', async () => {
    const layer = make({ capacity: 1, channelCapacity: { 'specific.*!': 3 } });
    const local = await layer.newChannel();
    expect(layer.capacityOf(local)).toBe(3);
    expect(layer.capacityOf('specific.plain')).toBe(1);
  });

  it('gives two layers different process tokens', async () => {
    const one = make();
    const two = make();
    const token = (name: string): string => name.slice(0, name.indexOf('!'));
    expect(token(await one.newChannel())).not.toBe(token(await two.newChannel()));
  });

  it('hands the same frozen object to every member when there is no binary', async () => {
    const layer = make();
    await layer.groupAdd('g', 'a');
    await layer.groupAdd('g', 'b');
    await layer.groupSend('g', { type: 't', data: { n: 1 } });
    const [a, b] = [await layer.receive('a'), await layer.receive('b')];
    expect(a).toBe(b);
    expect(Object.isFrozen(a.data)).toBe(true);
  });

  it('serves several waiters on one channel in arrival order', async () => {
    const layer = make();
    const first = layer.receive('c');
    const second = layer.receive('c');
    await layer.send('c', { type: 'one' });
    await layer.send('c', { type: 'two' });
    expect([await first, await second]).toEqual([{ type: 'one' }, { type: 'two' }]);
  });

  it('refuses bad options with InvalidOption', () => {
    for (const options of [{ expiry: 0 }, { groupExpiry: -1 }, { expiry: NaN }, { capacity: 0 }, { sweepInterval: -1 }, { clock: 5 as never }]) {
      expect(() => new InMemoryChannelLayer(options)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
  });

  it('close returns the same promise every time and clears state', async () => {
    const layer = make();
    await layer.send('c', { type: 'x' });
    const closing = layer.close();
    expect(layer.close()).toBe(closing);
    await closing;
    expect(layer.closed).toBe(true);
    expect(layer.stats()).toEqual(EMPTY);
  });
});
