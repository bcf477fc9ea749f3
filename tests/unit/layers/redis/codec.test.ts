import { decodeMember, decodePayload, encodeMessage, queueMember, queueMemberFor, RANDOM_PREFIX_LENGTH } from '../../../../src/layers/redis/codec';
import { isImmutableMessageValue, sealMessage } from '../../../../src/layers/message';

// Expected bytes produced once by Python: msgpack.packb(value, use_bin_type=True).hex()
const PYTHON_BYTES: Array<[label: string, message: Record<string, unknown>, hex: string]> = [
  ['str', { type: 't', s: 'héllo' }, '82a474797065a174a173a668c3a96c6c6f'],
  ['bin', { type: 't', b: Buffer.from([0, 1, 255]) }, '82a474797065a174a162c4030001ff'],
  ['int', { type: 't', i: 1, neg: -5, big: 70000, u64: 2 ** 40 }, '85a474797065a174a16901a36e6567fba3626967ce00011170a3753634cf0000010000000000'],
  ['float', { type: 't', f: 1.5, g: -0.25 }, '83a474797065a174a166cb3ff8000000000000a167cbbfd0000000000000'],
  ['nested', { type: 't', n: { l: [1, 'a', null, true, false, [Buffer.from('x')]] } }, '82a474797065a174a16e81a16c9601a161c0c3c291c40178'],
];

const seal = (m: Record<string, unknown>) => sealMessage(m).message;

describe('codec (channels_redis wire format)', () => {
  it.each(PYTHON_BYTES)('encodes %s exactly as Python msgpack does', (_label, message, hex) => {
    expect(Buffer.from(encodeMessage(seal(message))).toString('hex')).toBe(hex);
  });

  it.each(PYTHON_BYTES)('decodes Python bytes for %s back to the same values', (_label, message, hex) => {
    const { sealed, channels } = decodePayload(Buffer.from(hex, 'hex'));
    expect(channels).toBeUndefined();
    expect(sealed.message).toEqual(message);
  });

  it('decodes bin as a Buffer and str as a string, and freezes the result', () => {
    const { sealed } = decodePayload(Buffer.from('82a474797065a174a162c4030001ff', 'hex'));
    expect(Buffer.isBuffer(sealed.message.b)).toBe(true);
    expect(typeof sealed.message.type).toBe('string');
    expect(sealed.hasBinary).toBe(true);
    expect(Object.isFrozen(sealed.message)).toBe(true);
  });

  it('prefixes 12 random bytes, different each time', () => {
    const encoded = encodeMessage(seal({ type: 'same' }));
    const a = queueMember(encoded);
    const b = queueMember(encoded);
    expect(a.length).toBe(RANDOM_PREFIX_LENGTH + encoded.length);
    expect(a.subarray(RANDOM_PREFIX_LENGTH)).toEqual(Buffer.from(encoded));
    expect(a.subarray(0, RANDOM_PREFIX_LENGTH)).not.toEqual(b.subarray(0, RANDOM_PREFIX_LENGTH));
    expect(decodeMember(a).sealed.message).toEqual({ type: 'same' });
  });

  it('splices __asgi_channel__ (a name or a list) onto the encoded map, as Python would encode it', () => {
    const encoded = encodeMessage(seal({ type: 't', s: 'héllo' }));
    const one = queueMemberFor(encoded, 'specific.abc!x');
    // Python: msgpack.packb({"type": "t", "s": "héllo", "__asgi_channel__": "specific.abc!x"}, use_bin_type=True)
    expect(one.subarray(RANDOM_PREFIX_LENGTH).toString('hex')).toBe(
      '83a474797065a174a173a668c3a96c6c6fb05f5f617367695f6368616e6e656c5f5fae73706563696669632e6162632178',
    );
    const decoded = decodeMember(queueMemberFor(encoded, ['a!1', 'a!2']));
    expect(decoded.channels).toEqual(['a!1', 'a!2']);
    expect(decoded.sealed.message).toEqual({ type: 't', s: 'héllo' });
  });

  it('grows the map header past 15 entries (fixmap -> map16)', () => {
    const message: Record<string, unknown> = { type: 't' };
    for (let i = 0; i < 14; i++) message[`k${i}`] = i; // 15 entries: the last fixmap size
    const decoded = decodeMember(queueMemberFor(encodeMessage(seal(message)), 'c!x'));
    expect(decoded.channels).toBe('c!x');
    expect(decoded.sealed.message).toEqual(message);
  });

  it('refuses the reserved __asgi_channel__ key', () => {
    expect(() => encodeMessage(seal({ type: 't', __asgi_channel__: 'x' }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_MESSAGE' }));
  });

  it('refuses bytes that are not a map with a string type', () => {
    expect(() => decodePayload(Buffer.from([0x93, 1, 2, 3]))).toThrow(TypeError);
    expect(() => decodePayload(Buffer.from('81a17801', 'hex'))).toThrow(TypeError);
  });
});

describe('decoded messages take the JSON fast lane', () => {
  it('marks every object and array of a decoded message without binary values as sealed, like a local send', () => {
    const encoded = encodeMessage(sealMessage({ type: 'chat.message', payload: { text: 'hi', tags: ['a', { b: 1 }] } }).message);
    const { sealed } = decodePayload(encoded);
    const payload = sealed.message.payload as { tags: [string, object] };
    expect([sealed.message, payload, payload.tags, payload.tags[1]].map((v) => isImmutableMessageValue(v))).toEqual([true, true, true, true]);
  });

  it('leaves a decoded message with binary values unmarked (each receiver gets its own copy)', () => {
    const encoded = encodeMessage(sealMessage({ type: 'file.chunk', meta: { n: 1 }, bytes: Buffer.from([1, 2]) }).message);
    const { sealed } = decodePayload(encoded);
    expect(sealed.hasBinary).toBe(true);
    expect(isImmutableMessageValue(sealed.message)).toBe(false);
    expect(isImmutableMessageValue(sealed.message.meta as object)).toBe(false);
  });
});
