/** The outage buffer on its own: holds refused sends in order, never in-flight ones, refuses past its bound, drops stale ones at flush. */
import { LayerUnavailable } from '../../../src/errors';
import { OutageBuffer, type HeldSend } from '../../../src/layers/outage-buffer';
import { sealMessage } from '../../../src/layers/message';

function setup(size = 2, maxAge?: number) {
  let now = 1000;
  const delivered: string[] = [];
  const dropped: Array<[string, string]> = [];
  let failing = false;
  const buffer = new OutageBuffer({ size, ...(maxAge !== undefined ? { maxAge } : {}) }, 60, {
    now: () => now,
    deliver: async (entry: HeldSend) => {
      if (failing) throw new LayerUnavailable('still down');
      delivered.push(entry.name);
    },
    dropped: (entry, reason) => dropped.push([entry.name, reason]),
  });
  const entry = (name: string) => ({ kind: 'group' as const, name, sealed: sealMessage({ type: 'm' }) });
  return { buffer, entry, delivered, dropped, advance: (ms: number) => (now += ms), fail: (on: boolean) => (failing = on) };
}

const refused = () => Promise.reject(new LayerUnavailable('down'));

it('holds refused sends, queues later ones behind them, refuses past the bound, flushes in order', async () => {
  const { buffer, entry, delivered } = setup(2);
  expect(await buffer.run(entry('ok'), async () => undefined)).toBe(false);
  expect(await buffer.run(entry('a'), refused)).toBe(true);
  // Would succeed, but must not overtake 'a'.
  expect(await buffer.run(entry('b'), async () => undefined)).toBe(true);
  await expect(buffer.run(entry('c'), refused)).rejects.toMatchObject({ code: 'ERR_LAYER_UNAVAILABLE', message: expect.stringContaining('buffer full') });
  await buffer.flush();
  expect(delivered).toEqual(['a', 'b']);
  expect(buffer.pending).toBe(0);
});

it('does not hold a send that failed in flight, nor other errors', async () => {
  const { buffer, entry } = setup();
  await expect(buffer.run(entry('x'), () => Promise.reject(new LayerUnavailable('stalled', { inFlight: true })))).rejects.toMatchObject({ inFlight: true });
  await expect(buffer.run(entry('y'), () => Promise.reject(new TypeError('bad')))).rejects.toThrow('bad');
  expect(buffer.pending).toBe(0);
});

it('keeps what is left when the backend fails again, and drops held sends past maxAge', async () => {
  const { buffer, entry, delivered, dropped, advance, fail } = setup(5, 10);
  await buffer.run(entry('old'), refused);
  advance(11_000);
  await buffer.run(entry('new'), refused);
  fail(true);
  await buffer.flush();
  expect(buffer.pending).toBe(1); // 'old' dropped, 'new' kept
  expect(dropped.map(([name]) => name)).toEqual(['old']);
  fail(false);
  await buffer.flush();
  expect(delivered).toEqual(['new']);
});

it('refuses bad options', () => {
  const host = { now: () => 0, deliver: async () => undefined, dropped: () => undefined };
  expect(() => new OutageBuffer({ size: 0 }, 60, host)).toThrow(/outageBuffer.size/);
  expect(() => new OutageBuffer({ size: 1, maxAge: -1 }, 60, host)).toThrow(/maxAge/);
});
