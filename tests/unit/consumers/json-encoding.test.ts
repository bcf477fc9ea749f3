import { encodeJsonOnce } from '../../../src/consumers/json-encoding';
import { isImmutableMessageValue, sealMessage, cloneForDelivery } from '../../../src/layers/message';

describe('encodeJsonOnce (the broadcast fast lane)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('serializes a sealed message, and every object inside it, once however often it is sent', () => {
    const sealed = sealMessage({ type: 'chat.message', payload: { message: 'hi', user: 'ann' }, list: [1, 2] });
    const message = sealed.message as unknown as { payload: object; list: object };
    const stringify = jest.spyOn(JSON, 'stringify');
    const texts = Array.from({ length: 100 }, () => encodeJsonOnce(message.payload));
    expect(new Set(texts)).toEqual(new Set(['{"message":"hi","user":"ann"}']));
    expect(stringify).toHaveBeenCalledTimes(1);
    expect(encodeJsonOnce(message)).toBe('{"type":"chat.message","payload":{"message":"hi","user":"ann"},"list":[1,2]}');
    expect(encodeJsonOnce(message.list)).toBe('[1,2]');
    expect(stringify).toHaveBeenCalledTimes(3);
  });

  it('never caches objects that can change: a plain object is serialized afresh each time', () => {
    const content: { message: string } = { message: 'a' };
    expect(encodeJsonOnce(content)).toBe('{"message":"a"}');
    content.message = 'b';
    expect(encodeJsonOnce(content)).toBe('{"message":"b"}');
    expect(isImmutableMessageValue(content)).toBe(false);
  });

  it('a frozen object the layer did not seal is not trusted (it may hold mutable parts)', () => {
    const inner = { n: 1 };
    const content = Object.freeze({ inner });
    expect(encodeJsonOnce(content)).toBe('{"inner":{"n":1}}');
    inner.n = 2;
    expect(encodeJsonOnce(content)).toBe('{"inner":{"n":2}}');
  });

  it('messages with binary values are not shared (receivers get copies), so they are not cached', () => {
    const sealed = sealMessage({ type: 'm', blob: new Uint8Array([1]) });
    expect(sealed.hasBinary).toBe(true);
    expect(isImmutableMessageValue(sealed.message)).toBe(false);
    const copy = cloneForDelivery(sealed);
    expect(isImmutableMessageValue(copy)).toBe(false);
  });

  it('encodes primitives and null as JSON.stringify does', () => {
    expect(encodeJsonOnce('x')).toBe('"x"');
    expect(encodeJsonOnce(3)).toBe('3');
    expect(encodeJsonOnce(null)).toBe('null');
  });
});
