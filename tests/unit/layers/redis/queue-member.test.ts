import { decodeMember, encodeMessage, queueMemberFor, RANDOM_PREFIX_LENGTH } from '../../../../src/layers/redis/codec';
import { groupQueueMember } from '../../../../src/layers/redis/queue-member';

const names = (count: number, length: number): string[] =>
  Array.from({ length: count }, (_, i) => `specific.${'x'.repeat(Math.max(0, length - 20))}!${String(i).padStart(10, '0')}`);

describe('groupQueueMember', () => {
  it.each([
    ['1 name', names(1, 20)],
    ['2 short names', names(2, 20)],
    ['15 names', names(15, 40)],
    ['16 names (array16)', names(16, 40)],
    ['100 names', names(100, 45)],
    ['names of 31, 32 and 99 characters (fixstr, str8)', [names(1, 31)[0]!, names(1, 32)[0]!, names(1, 99)[0]!]],
    ['a non-ASCII name (the generic encoder)', ['specific.a!é', 'specific.a!b']],
  ])('writes the same bytes as queueMemberFor after the random prefix: %s', (_label, channels) => {
    for (const message of [{ type: 'm', text: 'hi' }, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))]) {
      const encoded = encodeMessage({ ...message, type: 'm' });
      const fast = groupQueueMember(encoded, channels);
      const generic = queueMemberFor(encoded, channels);
      expect(fast.subarray(RANDOM_PREFIX_LENGTH)).toEqual(generic.subarray(RANDOM_PREFIX_LENGTH));
      expect(decodeMember(fast).channels).toEqual(channels);
    }
  });
});
