import { parseScore } from '../../../../src/layers/redis/score-bytes';

describe('parseScore', () => {
  it.each(['0', '1', '-2', '1765000000', '1765000000.1', '1765000000.123456', '12.000001', '0.5', '-0.25', '1.5e-7', '1e+20', '123456789012345'])(
    'reads %s as Number() does',
    (text) => {
      expect(parseScore(Buffer.from(text))).toBe(Number(text));
    },
  );

  it('reads the 17 significant digits Redis may write to within a microsecond', () => {
    for (const text of ['1765000000.1234567', '1765012345.9876543', '4102444800.0000019']) {
      expect(Math.abs(parseScore(Buffer.from(text)) - Number(text))).toBeLessThan(1e-6);
    }
  });

  it('reads infinities as Redis writes them', () => {
    expect(parseScore(Buffer.from('inf'))).toBe(Infinity);
    expect(parseScore(Buffer.from('+inf'))).toBe(Infinity);
    expect(parseScore(Buffer.from('-inf'))).toBe(-Infinity);
  });

  it('reads a view into a larger buffer by its own bytes only', () => {
    const whole = Buffer.from('xx12.5yy');
    expect(parseScore(whole.subarray(2, 6))).toBe(12.5);
    expect(parseScore(Buffer.from('zz1e3').subarray(2))).toBe(1000);
  });
});
