/** The history model's pure parts: retention patterns, the answer rule, the replay guard, and `since` from a query string. */
import { sinceFromQuery } from '../../../src/consumers/history-since';
import { HistoryTable, replayOf, selectHistory, withoutHistoryKeys } from '../../../src/layers/history';
import { ReplayGuard } from '../../../src/layers/history-recovery';

const entries = [3, 4, 5].map((offset) => ({ offset, message: { type: 'm', offset } }));

describe('HistoryTable', () => {
  it('matches globs and RegExps, first match wins, with defaults', () => {
    const table = new HistoryTable([
      ['chat_vip_*', { size: 10, ttl: 5 }],
      [/^chat_/, {}],
    ]);
    expect(table.retentionOf('chat_vip_1')).toEqual({ size: 10, ttlMs: 5000 });
    expect(table.retentionOf('chat_lobby')).toEqual({ size: 100, ttlMs: 300_000 });
    expect(table.retentionOf('other')).toBeNull();
    expect(new HistoryTable(undefined).empty).toBe(true);
  });

  it.each([
    [{ size: 0 }, 'size'],
    [{ size: 1.5 }, 'size'],
    [{ ttl: -1 }, 'ttl'],
  ])('refuses retention %p naming %s', (retention, what) => {
    expect(() => new HistoryTable([['x*', retention]])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining(what) }));
  });

  it('refuses a pattern that is neither a glob nor a RegExp, and a non-array', () => {
    expect(() => new HistoryTable([[5 as never, {}]])).toThrow(/glob string or a RegExp/);
    expect(() => new HistoryTable({} as never)).toThrow(/array of \[pattern/);
  });
});

describe('selectHistory', () => {
  it('recovers from a current since within the retained range, not before it', () => {
    expect(selectHistory(entries, 'e', 5, { since: { offset: 2, epoch: 'e' } })).toMatchObject({ recovered: true, offset: 5 });
    expect(selectHistory(entries, 'e', 5, { since: { offset: 1, epoch: 'e' } }).recovered).toBe(false);
    expect(selectHistory(entries, 'e', 5, { since: { offset: 4, epoch: 'e' } }).messages.map((m) => m.offset)).toEqual([5]);
    expect(selectHistory([], 'e', 5, { since: { offset: 5, epoch: 'e' } })).toMatchObject({ messages: [], recovered: true });
  });

  it('answers the newest messages for another epoch or no since', () => {
    expect(selectHistory(entries, 'e', 5, { since: { offset: 4, epoch: 'x' }, limit: 1 })).toMatchObject({ recovered: false, messages: [{ offset: 5 }] });
    expect(selectHistory(entries, 'e', 5, {})).toMatchObject({ recovered: true });
  });

  it('replays what a join needs: after a current since, else the newest `last`', () => {
    const history = selectHistory(entries, 'e', 5, { since: { offset: 3, epoch: 'e' } });
    expect(replayOf(history, { offset: 3, epoch: 'e' }, 0).map((m) => m.offset)).toEqual([4, 5]);
    const other = selectHistory(entries, 'e', 5, { since: { offset: 3, epoch: 'x' } });
    expect(replayOf(other, { offset: 3, epoch: 'x' }, 2).map((m) => m.offset)).toEqual([4, 5]);
    expect(replayOf(other, null, 0)).toEqual([]);
  });
});

describe('ReplayGuard', () => {
  it('drops stamped messages at or below the mark of their epoch and moves the mark', () => {
    const guard = new ReplayGuard();
    guard.mark('g', 'e', 5);
    expect(guard.admit({ type: 'm', __offset__: 5, __epoch__: 'e' })).toBe(false);
    expect(guard.admit({ type: 'm', __offset__: 6, __epoch__: 'e' })).toBe(true);
    expect(guard.admit({ type: 'm', __offset__: 6, __epoch__: 'e' })).toBe(false);
    expect(guard.admit({ type: 'm', __offset__: 1, __epoch__: 'other' })).toBe(true);
    expect(guard.admit({ type: 'plain' })).toBe(true);
    guard.forget('g');
    expect(guard.admit({ type: 'm', __offset__: 1, __epoch__: 'e' })).toBe(true);
    expect(guard.size).toBe(0);
  });

  it('a group marked again in a new epoch forgets the old one; a lower mark in the same epoch never moves it back', () => {
    const guard = new ReplayGuard();
    guard.mark('g', 'e1', 5);
    guard.mark('g', 'e1', 3);
    expect(guard.admit({ type: 'm', __offset__: 4, __epoch__: 'e1' })).toBe(false);
    guard.mark('g', 'e2', 2);
    expect(guard.admit({ type: 'm', __offset__: 4, __epoch__: 'e1' })).toBe(true);
    expect(guard.admit({ type: 'm', __offset__: 2, __epoch__: 'e2' })).toBe(false);
    expect(guard.size).toBe(1);
  });

  it('guards several groups, each by its own epoch, and forgets them one by one', () => {
    const guard = new ReplayGuard();
    guard.mark('a', 'ea', 5);
    guard.mark('b', 'eb', 2);
    expect(guard.size).toBe(2);
    expect(guard.admit({ type: 'm', __offset__: 5, __epoch__: 'ea' })).toBe(false);
    expect(guard.admit({ type: 'm', __offset__: 3, __epoch__: 'eb' })).toBe(true);
    expect(guard.admit({ type: 'm', __offset__: 3, __epoch__: 'eb' })).toBe(false);
    guard.forget('a');
    expect(guard.admit({ type: 'm', __offset__: 1, __epoch__: 'ea' })).toBe(true);
    expect(guard.admit({ type: 'm', __offset__: 3, __epoch__: 'eb' })).toBe(false);
    guard.mark('c', 'ec', 1);
    expect(guard.size).toBe(2);
    guard.forget('b');
    guard.forget('c');
    expect(guard.size).toBe(0);
  });
});

describe('sinceFromQuery', () => {
  it('reads both keys, or null without them', () => {
    expect(sinceFromQuery({ queryString: 'since_offset=41&since_epoch=ab-c_1' })).toEqual({ offset: 41, epoch: 'ab-c_1' });
    expect(sinceFromQuery({ queryString: 'room=x' })).toBeNull();
    expect(sinceFromQuery({ queryString: 'o=2&e=z' }, { offset: 'o', epoch: 'e' })).toEqual({ offset: 2, epoch: 'z' });
  });

  it.each(['since_offset=1', 'since_epoch=e', 'since_offset=-1&since_epoch=e', 'since_offset=1.5&since_epoch=e', `since_offset=1&since_epoch=${'x'.repeat(65)}`, 'since_offset=1&since_epoch='])(
    'refuses %s with a 400 error',
    (queryString) => {
      expect(() => sinceFromQuery({ queryString })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_HISTORY_POSITION', status: 400 }));
    },
  );
});

it('withoutHistoryKeys strips the stamp only', () => {
  expect(withoutHistoryKeys({ type: 'm', text: 'hi', __offset__: 1, __epoch__: 'e' })).toEqual({ type: 'm', text: 'hi' });
});
