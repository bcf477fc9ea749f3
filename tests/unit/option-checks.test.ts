import { InvalidOption } from '../../src/errors';
import { positiveOption } from '../../src/option-checks';

describe('positiveOption', () => {
  it('returns a positive finite number, or the fallback for undefined', () => {
    expect(positiveOption(2.5, 'x')).toBe(2.5);
    expect(positiveOption(undefined, 'x', 'seconds', 60)).toBe(60);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5', null, undefined])('refuses %p with InvalidOption naming the option and unit', (value) => {
    expect(() => positiveOption(value, 'PresenceTracker: heartbeatMs', 'milliseconds')).toThrow(InvalidOption);
    expect(() => positiveOption(value, 'PresenceTracker: heartbeatMs', 'milliseconds')).toThrow(
      `PresenceTracker: heartbeatMs must be a positive number of milliseconds, got ${String(value)}`,
    );
  });
});
