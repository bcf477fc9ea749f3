/** The Phoenix side of recovery: reading `since` from a join payload, positions in pushed payloads, the join reply. */
import { InvalidHistoryPosition, InvalidOption } from '../../../src/errors';
import { Channel } from '../../../src/phoenix/channel';
import { payloadWithPosition, sinceFromPayload, withRecovery } from '../../../src/phoenix/history';
import { CHANNEL_HISTORY } from '../../../src/phoenix/symbols';

describe('sinceFromPayload', () => {
  test.each([[undefined], [null], [{}], [{ since: null }], ['text'], [[1, 2]]])('%j has no since', (payload) => {
    expect(sinceFromPayload(payload)).toBeNull();
  });

  test('reads {offset, epoch}, under another key when given', () => {
    expect(sinceFromPayload({ since: { offset: 4, epoch: 'e1', extra: 1 } })).toEqual({ offset: 4, epoch: 'e1' });
    expect(sinceFromPayload({ from: { offset: 0, epoch: 'e' } }, 'from')).toEqual({ offset: 0, epoch: 'e' });
  });

  test.each([
    [{ since: 5 }],
    [{ since: { offset: -1, epoch: 'e' } }],
    [{ since: { offset: 1.5, epoch: 'e' } }],
    [{ since: { offset: '3', epoch: 'e' } }],
    [{ since: { offset: 3 } }],
    [{ since: { offset: 3, epoch: '' } }],
    [{ since: { offset: 3, epoch: 'x'.repeat(65) } }],
  ])('refuses %j with ERR_INVALID_HISTORY_POSITION', (payload) => {
    expect(() => sinceFromPayload(payload)).toThrow(InvalidHistoryPosition);
    try {
      sinceFromPayload(payload);
    } catch (error) {
      expect((error as InvalidHistoryPosition).code).toBe('ERR_INVALID_HISTORY_POSITION');
    }
  });
});

describe('payloadWithPosition', () => {
  const stamped = { type: 'phx.broadcast', __offset__: 7, __epoch__: 'ep' };

  test('adds offset and epoch to a plain-object payload of a stamped message, over keys of those names', () => {
    expect(payloadWithPosition(stamped, { body: 'hi', offset: 'mine' })).toEqual({ body: 'hi', offset: 7, epoch: 'ep' });
  });

  test('leaves other payloads and unstamped messages as they are', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(payloadWithPosition(stamped, bytes)).toBe(bytes);
    const list = [1];
    expect(payloadWithPosition(stamped, list)).toBe(list);
    const plain = { body: 'hi' };
    expect(payloadWithPosition({ type: 'phx.broadcast' }, plain)).toBe(plain);
  });
});

describe('withRecovery', () => {
  const recovery = { recovered: false, epoch: 'ep', offset: 3 };

  test('adds the outcome to the reply object, or makes one', () => {
    expect(withRecovery({ room: 'lobby' }, recovery)).toEqual({ room: 'lobby', recovered: false, epoch: 'ep', offset: 3 });
    expect(withRecovery(undefined, recovery)).toEqual(recovery);
  });

  test('a response that is not a plain object goes out unchanged', () => {
    const bytes = new Uint8Array([1]);
    expect(withRecovery(bytes, recovery)).toBe(bytes);
  });
});

describe('Channel.recoverHistory', () => {
  test('records the request for the join; last defaults to 0 and must be a whole number', () => {
    const channel = new Channel();
    expect(channel[CHANNEL_HISTORY]).toBeNull();
    channel.recoverHistory({ since: { offset: 1, epoch: 'e' } });
    expect(channel[CHANNEL_HISTORY]).toEqual({ since: { offset: 1, epoch: 'e' }, last: 0 });
    channel.recoverHistory({ last: 50 });
    expect(channel[CHANNEL_HISTORY]).toEqual({ since: null, last: 50 });
    expect(() => channel.recoverHistory({ last: -1 })).toThrow(InvalidOption);
    expect(() => channel.recoverHistory({ last: 2.5 })).toThrow(InvalidOption);
  });
});
