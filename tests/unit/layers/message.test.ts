import { InvalidMessage } from '../../../src/errors';
import { cloneForDelivery, sealMessage } from '../../../src/layers/message';

describe('sealMessage', () => {
  it('returns a deeply frozen copy, not the original', () => {
    const original = { type: 't', data: { list: [1, { x: 2 }] } };
    const { message, hasBinary } = sealMessage(original);
    expect(hasBinary).toBe(false);
    expect(message).toEqual(original);
    expect(message).not.toBe(original);
    expect(Object.isFrozen(message)).toBe(true);
    const data = message.data as { list: [number, { x: number }] };
    expect(Object.isFrozen(data)).toBe(true);
    expect(Object.isFrozen(data.list)).toBe(true);
    expect(Object.isFrozen(data.list[1])).toBe(true);
    expect(Object.isFrozen(original)).toBe(false);
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { type: 't', n: 1 });
    expect(sealMessage(bare).message).toEqual({ type: 't', n: 1 });
  });

  it('keeps a __proto__ key from JSON as data, not as the prototype', () => {
    const parsed = JSON.parse('{"type":"t","__proto__":{"polluted":true},"bin":{"__proto__":{"b":1}}}') as Record<string, unknown>;
    for (const sealed of [sealMessage(parsed), sealMessage({ ...parsed, bytes: new Uint8Array([1]) })]) {
      const delivered = cloneForDelivery(sealed);
      expect(Object.getPrototypeOf(delivered)).toBe(Object.prototype);
      expect((delivered as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getOwnPropertyDescriptor(delivered, '__proto__')?.value).toEqual({ polluted: true });
      expect(Object.getPrototypeOf(delivered.bin)).toBe(Object.prototype);
    }
  });

  it('copies binary and flags it', () => {
    const bytes = new Uint8Array([1, 2]);
    const sealed = sealMessage({ type: 't', bytes });
    expect(sealed.hasBinary).toBe(true);
    bytes[0] = 9;
    expect(Array.from(sealed.message.bytes as Uint8Array)).toEqual([1, 2]);
  });

  it('names the deepest bad path', () => {
    try {
      sealMessage({ type: 't', a: [{ b: { c: [0, () => 1] } }] });
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidMessage);
      expect((error as InvalidMessage).path).toBe('message.a[0].b.c[1]');
    }
  });

  it('refuses nesting deeper than 64 levels', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 70; i++) deep = { d: deep };
    expect(() => sealMessage({ type: 't', deep })).toThrow(/nesting deeper/);
  });
});

describe('cloneForDelivery', () => {
  it('shares the frozen message when there is no binary', () => {
    const sealed = sealMessage({ type: 't', n: 1 });
    expect(cloneForDelivery(sealed)).toBe(sealed.message);
  });

  it('gives each receiver its own buffers when there is binary', () => {
    const sealed = sealMessage({ type: 't', nested: { bytes: new Uint8Array([1]) }, n: 1 });
    const one = cloneForDelivery(sealed);
    const two = cloneForDelivery(sealed);
    (one.nested as { bytes: Uint8Array }).bytes[0] = 7;
    expect((two.nested as { bytes: Uint8Array }).bytes[0]).toBe(1);
    expect(Object.isFrozen(one)).toBe(true);
  });
});
