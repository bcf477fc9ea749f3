/** Topic groups and connect params (socket_test: connect params, in Phoenix's terms). */
import { assertGroupName } from '../../../src/layers/names';
import { parseConnectQuery } from '../../../src/phoenix/connect-params';
import { channel, routeTopic } from '../../../src/phoenix/channel-route';
import { Channel } from '../../../src/phoenix/channel';
import { topicGroup } from '../../../src/phoenix/topic-group';
import { InvalidOption } from '../../../src/errors';

describe('topicGroup', () => {
  test('escapes a topic into a valid, one-to-one group name', () => {
    expect(topicGroup('room:lobby')).toBe('phx.room_3alobby');
    expect(topicGroup('user_socket:42')).toBe('phx.user_5fsocket_3a42');
    expect(topicGroup('café')).toBe('phx.caf_c3_a9');
    // `_` is escaped too, so an escaped form never collides with a literal one.
    expect(topicGroup('a_3a')).not.toBe(topicGroup('a:'));
    for (const topic of ['room:lobby', 'x', 'a b/c?d', '💬:1', 'room:' + 'z'.repeat(200)]) {
      expect(() => assertGroupName(topicGroup(topic))).not.toThrow();
    }
  });

  test('long topics become a digest, still distinct', () => {
    const a = topicGroup('room:' + 'a'.repeat(120));
    const b = topicGroup('room:' + 'a'.repeat(119) + 'b');
    expect(a.startsWith('phx.h.')).toBe(true);
    expect(a).not.toBe(b);
  });
});

describe('parseConnectQuery', () => {
  test('reads phoenix.js params: nested objects and arrays, vsn taken out', () => {
    expect(parseConnectQuery('token=abc&user%5Bid%5D=7&user%5Broles%5D%5B%5D=a&user%5Broles%5D%5B%5D=b&vsn=2.0.0')).toEqual({
      params: { token: 'abc', user: { id: '7', roles: ['a', 'b'] } },
      vsn: '2.0.0',
    });
    expect(parseConnectQuery('')).toEqual({ params: {}, vsn: null });
  });

  test('ignores prototype keys', () => {
    const { params } = parseConnectQuery('__proto__%5Bx%5D=1&a%5Bconstructor%5D=2');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.keys(params)).toEqual(['a']);
  });
});

describe('channel routes', () => {
  class A extends Channel {}
  class B extends Channel {}
  test('socket_test: returns the correct channel handler module (prefix and exact patterns, first match wins)', () => {
    const routes = [channel('room:lobby', B), channel('room:*', A)];
    expect(routeTopic(routes, 'room:lobby')?.channel).toBe(B);
    expect(routeTopic(routes, 'room:other')?.channel).toBe(A);
    expect(routeTopic(routes, 'rooms')).toBeUndefined();
  });

  test('refuses a pattern with a * elsewhere than at the end, and a class that is not a Channel', () => {
    expect(() => channel('room:*:x', A)).toThrow(InvalidOption);
    expect(() => channel('', A)).toThrow(InvalidOption);
    expect(() => channel('room:*', class {} as never)).toThrow(InvalidOption);
  });
});
