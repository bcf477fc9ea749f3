import { crc32, shardIndex } from '../../../../src/layers/redis/sharding';

// Expected values computed once with Python: binascii.crc32(name.encode()) and
// channels_redis.utils._consistent_hash(name, n) for n in (1, 2, 3, 5).
const PYTHON: Array<[name: string, crc: number, shards: [number, number, number, number]]> = [
  ['room.lobby', 1176906296, [0, 1, 1, 3]],
  ['specific.abc!', 4124610115, [0, 1, 2, 4]],
  ['x', 2363233923, [0, 0, 1, 2]],
  ['chat', 1704850090, [0, 0, 0, 0]],
  ['é', 235179326, [0, 1, 2, 4]],
  ['specific.0123456789abcdef!zzz', 2561031658, [0, 1, 2, 4]],
  ['asgi:group:g', 2514655736, [0, 1, 1, 3]],
];

describe('crc32 sharding (channels_redis rule)', () => {
  it.each(PYTHON)('crc32(%j) matches binascii.crc32', (name, crc) => {
    expect(crc32(name)).toBe(crc);
    expect(crc32(Buffer.from(name))).toBe(crc);
  });

  it.each(PYTHON)('shardIndex(%j) matches _consistent_hash for 1, 2, 3 and 5 hosts', (name, _crc, shards) => {
    expect([1, 2, 3, 5].map((n) => shardIndex(name, n))).toEqual(shards);
  });

  it('always lands inside the ring', () => {
    for (let i = 0; i < 500; i++) {
      const index = shardIndex(`chan.${i}`, 7);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(7);
    }
  });
});
