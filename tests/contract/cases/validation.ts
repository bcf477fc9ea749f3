/** Contract: channel and group name rules, message rules, binary, receiver isolation. */
import type { ChannelLayer } from '../../../src/layers/channel-layer';
import type { Harness } from '../harness';
import { rejectionOf } from '../harness';

const VALID_CHANNELS = ['a', 'chat.room-1_x', 'A.B.C', 'http.request', 'specific.abc!', 'specific.abc!xyz-1_2.3', '0', 'x'.repeat(99)];
const INVALID_CHANNELS: unknown[] = [
  '',
  'x'.repeat(100),
  'has space',
  'slash/no',
  'é',
  '!abc',
  'a!b!c',
  'a!b c',
  'colon:no',
  'new\nline',
  42,
  null,
  undefined,
];
const VALID_GROUPS = ['g', 'room.lobby', 'Room-1_b', 'x'.repeat(99)];
const INVALID_GROUPS: unknown[] = ['', 'x'.repeat(100), 'a!b', 'room!', 'sp ace', 'ü', 7, null];

/** A message that is not plain data, and the path the error must name. */
const BAD_MESSAGES: Array<[label: string, message: unknown, path: string]> = [
  ['a function', { type: 't', fn: () => 1 }, 'message.fn'],
  ['a Date', { type: 't', at: new Date() }, 'message.at'],
  ['a class instance', { type: 't', items: [1, new (class Point { x = 1 })()] }, 'message.items[1]'],
  ['a Map', { type: 't', m: new Map() }, 'message.m'],
  ['undefined', { type: 't', nested: { u: undefined } }, 'message.nested.u'],
  ['NaN', { type: 't', n: NaN }, 'message.n'],
  ['Infinity', { type: 't', list: [Infinity] }, 'message.list[0]'],
  ['a bigint', { type: 't', big: 10n }, 'message.big'],
  ['a symbol value', { type: 't', s: Symbol('s') }, 'message.s'],
  ['a symbol key', { type: 't', inner: { [Symbol('k')]: 1 } }, 'message.inner'],
  ['a missing type', { text: 'no type' }, 'message.type'],
  ['a non-string type', { type: 5 }, 'message.type'],
  ['an array message', [{ type: 't' }], 'message'],
  ['a string message', 'hello', 'message'],
  ['null', null, 'message'],
];

function cyclic(): unknown {
  const inner: Record<string, unknown> = { a: 1 };
  inner.self = inner;
  return { type: 't', inner };
}

export function validationCases(h: Harness): void {
  describe('channel and group names', () => {
    let layer: ChannelLayer;
    beforeEach(async () => {
      layer = await h.make();
    });

    it.each(VALID_CHANNELS)('accepts channel name %j', async (name) => {
      await layer.send(name, { type: 'ok' });
      await expect(h.next(layer, name)).resolves.toEqual({ type: 'ok' });
    });

    it.each(INVALID_CHANNELS)('refuses channel name %j everywhere, with a TypeError naming the rule', async (name) => {
      const calls: Array<Promise<unknown>> = [
        layer.send(name as string, { type: 'x' }),
        layer.receive(name as string),
        layer.groupAdd('g', name as string),
        layer.groupDiscard('g', name as string),
        layer.sendMany([[name as string, { type: 'x' }]]),
      ];
      for (const call of calls) {
        const error = await rejectionOf(call);
        expect(error).toBeInstanceOf(TypeError);
        expect(error.code).toBe('ERR_INVALID_CHANNEL_NAME');
        expect(error.message).toContain('under 100 characters');
      }
    });

    it.each(VALID_GROUPS)('accepts group name %j', async (group) => {
      const channel = h.name('member');
      await layer.groupAdd(group, channel);
      expect(await layer.groupMembers(group)).toEqual([channel]);
      await layer.groupDiscard(group, channel);
    });

    it.each(INVALID_GROUPS)('refuses group name %j everywhere', async (group) => {
      const calls: Array<Promise<unknown>> = [
        layer.groupAdd(group as string, 'chan'),
        layer.groupDiscard(group as string, 'chan'),
        layer.groupSend(group as string, { type: 'x' }),
        layer.groupSendMany([[group as string, { type: 'x' }]]),
        layer.groupMembers(group as string),
      ];
      for (const call of calls) {
        const error = await rejectionOf(call);
        expect(error).toBeInstanceOf(TypeError);
        expect(error.code).toBe('ERR_INVALID_GROUP_NAME');
      }
    });
  });

  describe('messages', () => {
    it.each(BAD_MESSAGES)('refuses %s at send, naming the path', async (_label, message, path) => {
      const layer = await h.make();
      const channel = h.name('chan');
      const error = await rejectionOf(layer.send(channel, message as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_MESSAGE');
      expect(error.path).toBe(path);
      expect(error.message).toContain(path);
    });

    it('refuses a cycle, and the same for groupSend', async () => {
      const layer = await h.make();
      const group = h.name('g');
      await layer.groupAdd(group, h.name('member'));
      for (const call of [layer.send(h.name('c'), cyclic() as never), layer.groupSend(group, cyclic() as never)]) {
        const error = await rejectionOf(call);
        expect(error.code).toBe('ERR_INVALID_MESSAGE');
        expect(error.path).toBe('message.inner.self');
      }
    });

    it('accepts the same object twice in one message (shared, not cyclic)', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      const shared = { v: 1 };
      await layer.send(channel, { type: 't', a: shared, b: [shared] });
      expect(await h.next(layer, channel)).toEqual({ type: 't', a: { v: 1 }, b: [{ v: 1 }] });
    });

    it('round-trips binary as bytes, nested, through send and groupSend', async () => {
      const layer = await h.make();
      const channel = h.name('bin');
      const group = h.name('bin.group');
      await layer.groupAdd(group, channel);
      const bytes = new Uint8Array([0, 1, 2, 250, 255]);
      await layer.send(channel, { type: 'bytes', data: bytes, nested: { list: [Buffer.from('hi')] } });
      await layer.groupSend(group, { type: 'bytes', data: bytes });
      const direct = await h.next(layer, channel);
      const viaGroup = await h.next(layer, channel);
      for (const got of [direct, viaGroup]) {
        expect(got.data).toBeInstanceOf(Uint8Array);
        expect(Array.from(got.data as Uint8Array)).toEqual([0, 1, 2, 250, 255]);
      }
      const nested = (direct.nested as { list: Uint8Array[] }).list[0]!;
      expect(nested).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(nested).toString()).toBe('hi');
    });

    it('keeps receivers apart: one receiver mutating its message cannot change another\'s', async () => {
      const layer = await h.make();
      const group = h.name('iso');
      const a = h.name('a');
      const b = h.name('b');
      await layer.groupAdd(group, a);
      await layer.groupAdd(group, b);
      await layer.groupSend(group, { type: 't', data: { n: 1, list: [1] }, bytes: new Uint8Array([1]) });
      const first = await h.next(layer, a);
      const second = await h.next(layer, b);
      const tryMutate = (fn: () => void): void => {
        try {
          fn();
        } catch {
          // Frozen messages throw in strict mode; a copy absorbs the change. Either is fine.
        }
      };
      tryMutate(() => ((first.data as { n: number }).n = 99));
      tryMutate(() => (first.data as { list: number[] }).list.push(2));
      tryMutate(() => ((first.bytes as Uint8Array)[0] = 42));
      tryMutate(() => ((first as Record<string, unknown>).type = 'changed'));
      expect(second).toEqual({ type: 't', data: { n: 1, list: [1] }, bytes: new Uint8Array([1]) });
    });
  });
}
