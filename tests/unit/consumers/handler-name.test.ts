import { PrivateHandler } from '../../../src/errors';
import { camelizeEventType, handlerNameOf, isReservedHandlerName } from '../../../src/consumers/handler-name';
// Loading the consumer classes reserves their method names.
import '../../../src/consumers/json-websocket-consumer';
import '../../../src/consumers/http-consumer';

describe('handlerNameOf', () => {
  it.each([
    ['chat.message', 'chatMessage'],
    ['chat_message', 'chatMessage'],
    ['chat-message', 'chatMessage'],
    ['websocket.receive', 'websocketReceive'],
    ['websocket.connect', 'websocketConnect'],
    ['websocket.disconnect', 'websocketDisconnect'],
    ['http.request', 'httpRequest'],
    ['http.disconnect', 'httpDisconnect'],
    ['user.joined_room-now', 'userJoinedRoomNow'],
    ['ping', 'ping'],
    ['chat..message', 'chatMessage'],
    ['chat.Message', 'chatMessage'],
  ])('%s -> %s', (type, name) => {
    expect(handlerNameOf(type)).toBe(name);
  });

  it('returns the cached name on repeat calls', () => {
    expect(handlerNameOf('room.update')).toBe('roomUpdate');
    expect(handlerNameOf('room.update')).toBe('roomUpdate');
  });

  it.each(['_secret', '.x', '-x', '', '__proto__', '_internal.thing'])('refuses %j (leading separator / empty)', (type) => {
    expect(() => handlerNameOf(type)).toThrow(PrivateHandler);
  });

  it.each([
    ['send', 'send'],
    ['send.json', 'sendJson'],
    ['receive.json', 'receiveJson'],
    ['dispatch', 'dispatch'],
    ['close', 'close'],
    ['accept', 'accept'],
    ['connect', 'connect'],
    ['disconnect', 'disconnect'],
    ['receive', 'receive'],
    ['group.add', 'groupAdd'],
    ['group_discard', 'groupDiscard'],
    ['encode.json', 'encodeJson'],
    ['decode.json', 'decodeJson'],
    ['send.event', 'sendEvent'],
    ['send.headers', 'sendHeaders'],
    ['send.body', 'sendBody'],
    ['on.end', 'onEnd'],
    ['constructor', 'constructor'],
    ['to.string', 'toString'],
    ['has-own-property', 'hasOwnProperty'],
  ])('refuses %j, which maps to the internal %s', (type, name) => {
    const error = (() => {
      try {
        handlerNameOf(type);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(PrivateHandler);
    expect((error as PrivateHandler).code).toBe('ERR_PRIVATE_HANDLER');
    expect((error as PrivateHandler).eventType).toBe(type);
    expect((error as Error).message).toContain(JSON.stringify(name));
    expect(isReservedHandlerName(name)).toBe(true);
  });

  it('keeps protocol handlers dispatchable', () => {
    for (const name of ['websocketConnect', 'websocketReceive', 'websocketDisconnect', 'httpRequest', 'httpDisconnect']) {
      expect(isReservedHandlerName(name)).toBe(false);
    }
  });

  it('camelizeEventType applies the rule without refusing', () => {
    expect(camelizeEventType('_x.y')).toBe('xY');
    expect(camelizeEventType('a.b_c-d')).toBe('aBCD');
  });
});
