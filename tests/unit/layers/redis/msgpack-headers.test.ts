import { encode } from '@msgpack/msgpack';
import { ARRAY, MAP, STR, headerLength, writeHeader, type HeaderKind } from '../../../../src/layers/redis/msgpack-headers';

/** What @msgpack/msgpack itself writes before the entries of a value of that kind and size. */
function reference(kind: HeaderKind, size: number): Buffer {
  const value = kind === STR ? 'x'.repeat(size) : kind === ARRAY ? new Array<number>(size).fill(0) : Object.fromEntries(Array.from({ length: size }, (_, i) => [`k${i}`, 0]));
  const bytes = Buffer.from(encode(value));
  return bytes.subarray(0, headerLength(kind, size));
}

describe.each([
  ['map', MAP, [0, 1, 15, 16, 0xffff, 0x10000]],
  ['array', ARRAY, [0, 1, 15, 16, 0xffff, 0x10000]],
  ['str', STR, [0, 1, 31, 32, 0xff, 0x100, 0xffff, 0x10000]],
] as const)('%s headers', (_name, kind, sizes) => {
  it.each(sizes)('size %i: byte for byte as msgpack writes it', (size) => {
    const out = Buffer.alloc(8, 0xee);
    const end = writeHeader(out, 1, kind, size);
    expect(end - 1).toBe(headerLength(kind, size));
    expect(out.subarray(1, end)).toEqual(reference(kind, size));
  });
});
