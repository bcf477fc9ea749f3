import { decodePayload, encodeMessage, historyStamp, readHistoryStamp } from '../../../../src/layers/redis/codec';
import { mapWithStampRoom } from '../../../../src/layers/redis/history-keys';
import { OWN_ECHOES_MAX, OwnEchoes } from '../../../../src/layers/redis/own-echoes';
import { sealMessage } from '../../../../src/layers/message';
import type { LayerMessage } from '../../../../src/layers/channel-layer';

/** What a history script publishes for `message`: the map re-headed for the stamp, then the stamp. */
function echoed(message: LayerMessage, offset: number, epoch: string): { sent: Buffer; body: Buffer } {
  const sent = mapWithStampRoom(encodeMessage(message));
  return { sent, body: Buffer.concat([sent, historyStamp(offset, epoch)]) };
}

describe('readHistoryStamp', () => {
  it('reads back what historyStamp wrote, offsets past 32 bits included', () => {
    for (const [offset, epoch] of [
      [1, 'e'],
      [2 ** 32 + 7, 'abcdefghij0123456789abcdefghij0'],
      [Number.MAX_SAFE_INTEGER, 'x'],
    ] as const) {
      const { sent, body } = echoed({ type: 't' }, offset, epoch);
      expect(readHistoryStamp(body, sent.length)).toEqual({ offset, epoch });
    }
  });

  it('refuses bytes that are not a stamp there', () => {
    const { sent, body } = echoed({ type: 't', text: 'hello' }, 5, 'ep');
    expect(readHistoryStamp(body, sent.length - 1)).toBeUndefined();
    expect(readHistoryStamp(body, sent.length + 1)).toBeUndefined();
    expect(readHistoryStamp(body.subarray(0, body.length - 1), sent.length)).toBeUndefined();
    expect(readHistoryStamp(sent, sent.length)).toBeUndefined();
  });
});

describe('OwnEchoes', () => {
  it('gives back the message sent, stamped, equal to what decoding the echo gives, sharing its values', () => {
    const echoes = new OwnEchoes();
    const sealed = sealMessage({ type: 'chat.message', text: 'hi', meta: { n: [1, 2] } });
    const { sent, body } = echoed(sealed.message, 42, 'epochA');
    const tag = echoes.expect('room', sealed, sent.length);
    const taken = echoes.take(tag, 'room', body)!;
    expect(taken.message).toEqual(decodePayload(body).sealed.message);
    expect(taken.message).toEqual({ type: 'chat.message', text: 'hi', meta: { n: [1, 2] }, __offset__: 42, __epoch__: 'epochA' });
    // The original's (frozen) values, not a decoded copy.
    expect(taken.message.meta).toBe(sealed.message.meta);
    expect(Object.isFrozen(taken.message)).toBe(true);
    expect(echoes.size).toBe(0);
    // An echo is taken once.
    expect(echoes.take(tag, 'room', body)).toBeUndefined();
  });

  it('answers undefined, for the caller to decode, when the tag is unknown, empty, forgotten or for another group', () => {
    const echoes = new OwnEchoes();
    const sealed = sealMessage({ type: 't' });
    const { sent, body } = echoed({ type: 't' }, 1, 'e');
    expect(echoes.take('', 'room', body)).toBeUndefined();
    expect(echoes.take('zz', 'room', body)).toBeUndefined();
    const forgotten = echoes.expect('room', sealed, sent.length);
    echoes.forget(forgotten);
    expect(echoes.take(forgotten, 'room', body)).toBeUndefined();
    const other = echoes.expect('room', sealed, sent.length);
    expect(echoes.take(other, 'lobby', body)).toBeUndefined();
    const cleared = echoes.expect('room', sealed, sent.length);
    echoes.clear();
    expect(echoes.take(cleared, 'room', body)).toBeUndefined();
  });

  it('gives each send its own tag and holds at most OWN_ECHOES_MAX, dropping the oldest', () => {
    const echoes = new OwnEchoes();
    const sealed = sealMessage({ type: 't' });
    const { sent, body } = echoed({ type: 't' }, 1, 'e');
    const tags = new Set<string>();
    for (let i = 0; i < OWN_ECHOES_MAX + 10; i++) tags.add(echoes.expect('room', sealed, sent.length));
    expect(tags.size).toBe(OWN_ECHOES_MAX + 10);
    expect(echoes.size).toBe(OWN_ECHOES_MAX);
    const [first] = tags;
    expect(echoes.take(first!, 'room', body)).toBeUndefined();
    expect(echoes.take([...tags].at(-1)!, 'room', body)).toBeDefined();
  });
});
