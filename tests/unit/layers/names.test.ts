import { InvalidChannelName, InvalidGroupName } from '../../../src/errors';
import { MAX_NAME_LENGTH, assertChannelName, assertGroupName, isProcessLocal, nonLocalName } from '../../../src/layers/names';

describe('channel and group names', () => {
  it('allows names up to 99 characters', () => {
    expect(MAX_NAME_LENGTH).toBe(100);
    expect(() => assertChannelName('c'.repeat(99))).not.toThrow();
    expect(() => assertGroupName('g'.repeat(99))).not.toThrow();
    expect(() => assertChannelName('c'.repeat(100))).toThrow(InvalidChannelName);
    expect(() => assertGroupName('g'.repeat(100))).toThrow(InvalidGroupName);
  });

  it('applies the `!` rules to channels only', () => {
    for (const ok of ['a!', 'a.b!c', 'a!b_c-d.e']) expect(() => assertChannelName(ok)).not.toThrow();
    for (const bad of ['!', '!a', 'a!b!c', 'a!b/c']) expect(() => assertChannelName(bad)).toThrow(InvalidChannelName);
    expect(() => assertGroupName('a!b')).toThrow(InvalidGroupName);
  });

  it('gives errors a code, the TypeError class and the rule', () => {
    try {
      assertChannelName('bad name');
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_CHANNEL_NAME', name: 'InvalidChannelName' });
      expect((error as Error).message).toMatch(/must match .* and be under 100 characters/);
    }
    expect(() => assertGroupName(undefined)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_GROUP_NAME' }));
  });

  it('finds the non-local part of a process-local name', () => {
    expect(nonLocalName('specific.abc!xyz')).toBe('specific.abc!');
    expect(nonLocalName('specific.abc!')).toBe('specific.abc!');
    expect(nonLocalName('plain.name')).toBe('plain.name');
    expect(isProcessLocal('a!b')).toBe(true);
    expect(isProcessLocal('a.b')).toBe(false);
  });
});
