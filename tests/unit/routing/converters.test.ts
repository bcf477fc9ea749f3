import { registerConverter } from '../../../src/routing/converters';
import { compilePathPattern } from '../../../src/routing/patterns';

function kwargsOf(pattern: string, path: string): Record<string, unknown> | null {
  return compilePathPattern(pattern, false).match(path)?.kwargs ?? null;
}

describe('built-in converters', () => {
  it('str (the default) matches one or more characters except /', () => {
    expect(kwargsOf('chat/<room>/', 'chat/lobby/')).toEqual({ room: 'lobby' });
    expect(kwargsOf('chat/<str:room>/', 'chat/caf é!/')).toEqual({ room: 'caf é!' });
    expect(kwargsOf('chat/<room>/', 'chat//')).toBeNull();
    expect(kwargsOf('chat/<room>/', 'chat/a/b/')).toBeNull();
  });

  it('int matches digits and typecasts to a number', () => {
    expect(kwargsOf('items/<int:id>/', 'items/042/')).toEqual({ id: 42 });
    expect(typeof kwargsOf('items/<int:id>/', 'items/7/')?.id).toBe('number');
    expect(kwargsOf('items/<int:id>/', 'items/-1/')).toBeNull();
    expect(kwargsOf('items/<int:id>/', 'items/1.5/')).toBeNull();
    expect(kwargsOf('items/<int:id>/', 'items/12a/')).toBeNull();
  });

  it('int refuses numbers past Number.MAX_SAFE_INTEGER instead of rounding them', () => {
    expect(kwargsOf('items/<int:id>/', `items/${Number.MAX_SAFE_INTEGER}/`)).toEqual({ id: Number.MAX_SAFE_INTEGER });
    expect(kwargsOf('items/<int:id>/', 'items/99999999999999999999/')).toBeNull();
  });

  it('slug matches letters, digits, - and _', () => {
    expect(kwargsOf('p/<slug:s>/', 'p/hello-world_2/')).toEqual({ s: 'hello-world_2' });
    expect(kwargsOf('p/<slug:s>/', 'p/hello world/')).toBeNull();
    expect(kwargsOf('p/<slug:s>/', 'p/héllo/')).toBeNull();
  });

  it('uuid matches the lower-case canonical form', () => {
    const id = '123e4567-e89b-12d3-a456-426614174000';
    expect(kwargsOf('u/<uuid:u>/', `u/${id}/`)).toEqual({ u: id });
    expect(kwargsOf('u/<uuid:u>/', `u/${id.toUpperCase()}/`)).toBeNull();
    expect(kwargsOf('u/<uuid:u>/', 'u/123e4567e89b12d3a456426614174000/')).toBeNull();
  });

  it('path matches across slashes', () => {
    expect(kwargsOf('files/<path:p>', 'files/a/b/c.txt')).toEqual({ p: 'a/b/c.txt' });
    expect(kwargsOf('files/<path:p>', 'files/')).toBeNull();
  });

  it('mixes literals and several converters', () => {
    expect(kwargsOf('chat/<roomName>/<int:id>/', 'chat/lobby/3/')).toEqual({ roomName: 'lobby', id: 3 });
  });

  it('escapes regex characters in literal parts', () => {
    expect(kwargsOf('a.b/<x>', 'a.b/1')).toEqual({ x: '1' });
    expect(kwargsOf('a.b/<x>', 'aXb/1')).toBeNull();
  });
});

describe('registerConverter', () => {
  it('adds a converter usable in patterns compiled afterwards', () => {
    registerConverter('year4', { regex: '[0-9]{4}', toValue: Number });
    expect(kwargsOf('archive/<year4:y>/', 'archive/2024/')).toEqual({ y: 2024 });
    expect(kwargsOf('archive/<year4:y>/', 'archive/24/')).toBeNull();
  });

  it('a toValue that throws means no match', () => {
    registerConverter('even', {
      regex: '[0-9]+',
      toValue: (raw) => {
        const n = Number(raw);
        if (n % 2 !== 0) throw new Error('odd');
        return n;
      },
    });
    expect(kwargsOf('n/<even:n>/', 'n/4/')).toEqual({ n: 4 });
    expect(kwargsOf('n/<even:n>/', 'n/5/')).toBeNull();
  });

  it('capturing groups inside a converter regex do not shift later parameters', () => {
    registerConverter('yesno', { regex: '(yes|no)', toValue: (raw) => raw === 'yes' });
    expect(kwargsOf('<yesno:flag>/<int:n>/', 'yes/5/')).toEqual({ flag: true, n: 5 });
  });

  it.each([
    ['a bad name', () => registerConverter('no-dash', { regex: 'x', toValue: String })],
    ['a built-in name', () => registerConverter('int', { regex: 'x', toValue: String })],
    ['an empty regex', () => registerConverter('emptyre', { regex: '', toValue: String })],
    ['a regex that does not compile', () => registerConverter('brokenre', { regex: '(', toValue: String })],
    ['a missing toValue', () => registerConverter('notovalue', { regex: 'x' } as never)],
  ])('refuses %s with InvalidOption', (_name, call) => {
    expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('invalid patterns', () => {
  it.each([
    ['an unknown converter', 'x/<nope:y>/', /unknown converter "nope".*registerConverter/],
    ['an unclosed <', 'x/<y/', /unclosed/],
    ['a stray >', 'x/y>/', /unbalanced/],
    ['a bad parameter name', 'x/<int:1y>/', /identifier/],
    ['an empty parameter', 'x/<>/', /identifier/],
    ['a repeated parameter', '<a>/<a>/', /twice/],
  ])('%s is InvalidRoutePattern', (_name, pattern, message) => {
    let caught: unknown;
    try {
      compilePathPattern(pattern, false);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'ERR_INVALID_ROUTE_PATTERN' });
    expect((caught as Error).message).toMatch(message);
  });
});
