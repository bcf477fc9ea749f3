/** Contract: group history (offsets, epochs, retention by size and ttl, recovery answers) and the stamp members receive. */
import { HistoryNotEnabled } from '../../../src/errors';
import type { ChannelLayer } from '../../../src/layers/channel-layer';
import type { Harness } from '../harness';
import { rejectionOf } from '../harness';

const HISTORY = { history: [['hist.*', { size: 5, ttl: 60 }]] as const };

async function sendAll(layer: ChannelLayer, group: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await layer.groupSend(group, { type: 'chat.message', n });
}

export function historyCases(h: Harness): void {
  describe('group history', () => {
    it('stamps every group message with an increasing offset of one epoch, and stores it', async () => {
      const layer = await h.make(HISTORY);
      expect(layer.extensions).toContain('history');
      const group = h.name('hist.room');
      const local = await layer.newChannel();
      const named = h.caps.namedChannels ? h.name('named') : await layer.newChannel();
      await layer.groupAdd(group, local);
      await layer.groupAdd(group, named);
      const first = await layer.groupSend(group, { type: 'chat.message', n: 1 });
      const second = await layer.groupSend(group, { type: 'chat.message', n: 2 });
      expect(first).toEqual({ dropped: 0, offset: 1, epoch: expect.any(String) });
      expect(second).toEqual({ dropped: 0, offset: 2, epoch: first.epoch });
      const epoch = first.epoch!;
      for (const channel of [local, named]) {
        expect(await h.next(layer, channel)).toEqual({ type: 'chat.message', n: 1, __offset__: 1, __epoch__: epoch });
        expect(await h.next(layer, channel)).toEqual({ type: 'chat.message', n: 2, __offset__: 2, __epoch__: epoch });
      }
      expect(await layer.groupHistory(group)).toEqual({
        messages: [
          { offset: 1, message: { type: 'chat.message', n: 1, __offset__: 1, __epoch__: epoch } },
          { offset: 2, message: { type: 'chat.message', n: 2, __offset__: 2, __epoch__: epoch } },
        ],
        epoch,
        offset: 2,
        recovered: true,
      });
    });

    it('answers since: the messages after it, recovered, and nothing at the latest offset', async () => {
      const layer = await h.make(HISTORY);
      const group = h.name('hist.room');
      const empty = await layer.groupHistory(group);
      expect(empty).toEqual({ messages: [], epoch: expect.any(String), offset: 0, recovered: true });
      await sendAll(layer, group, 1, 4);
      const since = { offset: 2, epoch: empty.epoch };
      const after = await layer.groupHistory(group, { since });
      // The epoch a reader saw before the first message is the one the messages get.
      expect(after.epoch).toBe(empty.epoch);
      expect(after.recovered).toBe(true);
      expect(after.offset).toBe(4);
      expect(after.messages.map((m) => [m.offset, m.message.n])).toEqual([
        [3, 3],
        [4, 4],
      ]);
      expect(await layer.groupHistory(group, { since: { offset: 4, epoch: empty.epoch } })).toEqual({
        messages: [],
        epoch: empty.epoch,
        offset: 4,
        recovered: true,
      });
      // limit with since: the oldest ones after it (page on from the last); without: the newest.
      expect((await layer.groupHistory(group, { since: { offset: 0, epoch: empty.epoch }, limit: 2 })).messages.map((m) => m.offset)).toEqual([1, 2]);
      expect((await layer.groupHistory(group, { limit: 2 })).messages.map((m) => m.offset)).toEqual([3, 4]);
      expect((await layer.groupHistory(group, { limit: 0 })).messages).toEqual([]);
    });

    it('keeps the last `size` messages: a since older than that is not recovered', async () => {
      const layer = await h.make(HISTORY);
      const group = h.name('hist.room');
      await sendAll(layer, group, 1, 8);
      const all = await layer.groupHistory(group);
      expect(all.messages.map((m) => m.offset)).toEqual([4, 5, 6, 7, 8]);
      const tooOld = await layer.groupHistory(group, { since: { offset: 2, epoch: all.epoch } });
      expect(tooOld.recovered).toBe(false);
      expect(tooOld.messages.map((m) => m.offset)).toEqual([4, 5, 6, 7, 8]);
      const justKept = await layer.groupHistory(group, { since: { offset: 3, epoch: all.epoch } });
      expect(justKept.recovered).toBe(true);
      expect(justKept.messages.map((m) => m.offset)).toEqual([4, 5, 6, 7, 8]);
    });

    it('keeps each message `ttl` seconds (layer clock)', async () => {
      const layer = await h.make({ history: [['hist.*', { size: 100, ttl: 10 }]] });
      const group = h.name('hist.room');
      await sendAll(layer, group, 1, 2);
      h.clock.advance(6);
      await sendAll(layer, group, 3, 3);
      h.clock.advance(5); // 1 and 2 are 11 s old, 3 is 5 s old
      const history = await layer.groupHistory(group);
      expect(history.messages.map((m) => m.offset)).toEqual([3]);
      expect(history.offset).toBe(3);
      expect((await layer.groupHistory(group, { since: { offset: 1, epoch: history.epoch } })).recovered).toBe(false);
      expect((await layer.groupHistory(group, { since: { offset: 2, epoch: history.epoch } })).recovered).toBe(true);
      h.clock.advance(6);
      const later = await layer.groupHistory(group, { since: { offset: 2, epoch: history.epoch } });
      expect(later).toMatchObject({ messages: [], offset: 3, epoch: history.epoch, recovered: false });
      // Nothing missed since the latest offset: recovered, even with nothing retained.
      expect((await layer.groupHistory(group, { since: { offset: 3, epoch: history.epoch } })).recovered).toBe(true);
    });

    it('does not recover a position from another epoch, or past the latest offset', async () => {
      const layer = await h.make(HISTORY);
      const group = h.name('hist.room');
      await sendAll(layer, group, 1, 3);
      const other = await layer.groupHistory(group, { since: { offset: 1, epoch: 'not-this-one' }, limit: 2 });
      expect(other.recovered).toBe(false);
      expect(other.messages.map((m) => m.offset)).toEqual([2, 3]);
      const future = await layer.groupHistory(group, { since: { offset: 9, epoch: other.epoch } });
      expect(future.recovered).toBe(false);
    });

    it('starts a new epoch after a flush', async () => {
      const layer = await h.make(HISTORY);
      const group = h.name('hist.room');
      await sendAll(layer, group, 1, 3);
      const before = await layer.groupHistory(group);
      await layer.flush();
      const after = await layer.groupHistory(group, { since: { offset: 3, epoch: before.epoch } });
      expect(after.epoch).not.toBe(before.epoch);
      expect(after).toMatchObject({ messages: [], offset: 0, recovered: false });
      expect(await layer.groupSend(group, { type: 'chat.message', n: 4 })).toMatchObject({ offset: 1, epoch: after.epoch });
    });

    it('drops reserved keys a sender sets, and leaves groups without history alone', async () => {
      const layer = await h.make(HISTORY);
      const group = h.name('hist.room');
      const plainGroup = h.name('plain');
      const channel = await layer.newChannel();
      await layer.groupAdd(group, channel);
      await layer.groupAdd(plainGroup, channel);
      const forged = { type: 'chat.message', __offset__: 99, __epoch__: 'forged' };
      const sent = await layer.groupSend(group, forged);
      expect(await h.next(layer, channel)).toEqual({ type: 'chat.message', __offset__: 1, __epoch__: sent.epoch });
      expect(await layer.groupSend(plainGroup, forged)).toEqual({ dropped: 0 });
      expect(await h.next(layer, channel)).toEqual({ type: 'chat.message' });
      const error = await rejectionOf(layer.groupHistory(plainGroup));
      expect(error).toBeInstanceOf(HistoryNotEnabled);
      expect(error.code).toBe('ERR_HISTORY_NOT_ENABLED');
      expect((await rejectionOf(layer.groupHistory(group, { since: { offset: -1, epoch: 'x' } }))).code).toBe('ERR_INVALID_OPTION');
      expect((await rejectionOf(layer.groupHistory(group, { limit: 1.5 }))).code).toBe('ERR_INVALID_OPTION');
    });

    it('shares one history between processes', async () => {
      if (!h.caps.crossInstance) return;
      const a = await h.make(HISTORY);
      const b = await h.make(HISTORY);
      const group = h.name('hist.room');
      const atB = await b.newChannel();
      await b.groupAdd(group, atB);
      await sendAll(a, group, 1, 2);
      h.clock.advance(1); // queue order across processes follows send time (scores), as in channels_redis
      await sendAll(b, group, 3, 3);
      const epoch = (await a.groupHistory(group)).epoch;
      for (let n = 1; n <= 3; n++) expect(await h.next(b, atB)).toEqual({ type: 'chat.message', n, __offset__: n, __epoch__: epoch });
      const fromA = await a.groupHistory(group);
      const fromB = await b.groupHistory(group);
      expect(fromB).toEqual(fromA);
      expect(fromA.messages.map((m) => [m.offset, m.message.n])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
    });
  });
}
