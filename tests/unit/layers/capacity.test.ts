import { CapacityTable, globToRegExp } from '../../../src/layers/capacity';

describe('globToRegExp', () => {
  it.each([
    ['http.request', 'http.request', true],
    ['http.request', 'httpXrequest', false], // `.` is literal
    ['http.*', 'http.', true],
    ['http.*', 'http.request!abc', true],
    ['http.*', 'xhttp.request', false], // anchored at the start
    ['*.send', 'websocket.send.more', false], // anchored at the end
    ['chan?', 'chan1', true],
    ['chan?', 'chan', false],
    ['chan?', 'chan12', false],
    ['a+b(c)[d]{e}|^$\\', 'a+b(c)[d]{e}|^$\\', true], // regex characters are literal
    ['*', '', true],
  ])('%j against %j -> %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});

describe('CapacityTable', () => {
  it('returns the default without patterns', () => {
    expect(new CapacityTable(100).capacityOf('anything')).toBe(100);
  });

  it('takes the first matching pattern, in array or object order', () => {
    const table = new CapacityTable(10, [
      [/^bulk\./, 1000],
      ['bulk.*', 5],
      ['http.*', 200],
    ]);
    expect(table.capacityOf('bulk.jobs')).toBe(1000);
    expect(table.capacityOf('http.request')).toBe(200);
    expect(table.capacityOf('other')).toBe(10);
    const fromObject = new CapacityTable(10, { 'a.*': 1, 'a.b': 2 });
    expect(fromObject.capacityOf('a.b')).toBe(1);
  });

  it('uses a RegExp unanchored, and statelessly even with the g flag', () => {
    const table = new CapacityTable(10, [[/mid/g, 3]]);
    for (let i = 0; i < 4; i++) expect(table.capacityOf(`x.mid.${i}`)).toBe(3);
  });

  it('keeps its cache bounded', () => {
    const table = new CapacityTable(10, [['a.*', 1]]);
    for (let i = 0; i < 5000; i++) table.capacityOf(`a.${i}`);
    expect(table.cacheSize).toBeLessThanOrEqual(1024);
    expect(table.capacityOf('a.1')).toBe(1);
    expect(table.capacityOf('b.1')).toBe(10);
  });

  it.each([0, -1, 1.5, NaN, Infinity, '10'])('refuses capacity %p with InvalidOption', (bad) => {
    expect(() => new CapacityTable(bad as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => new CapacityTable(1, [['a', bad as number]])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('refuses patterns that are neither globs nor RegExps, naming the option', () => {
    expect(() => new CapacityTable(1, [[42 as unknown as string, 1]])).toThrow(/channelCapacity\[0\] pattern/);
    expect(() => new CapacityTable(1, 'nope' as never)).toThrow(/channelCapacity must be/);
    expect(() => new CapacityTable(1, [['a'] as never])).toThrow(/pair/);
  });
});
