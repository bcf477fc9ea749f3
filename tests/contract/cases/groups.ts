/** Contract: group add/discard/send, full members, bulk group sends, member listing, membership expiry. */
import type { Harness } from '../harness';

export function groupCases(h: Harness): void {
  describe('groups', () => {
    it('sends to every member once, including process-local members', async () => {
      const layer = await h.make();
      const group = h.name('room');
      const plain = h.name('member');
      const local = await layer.newChannel();
      await layer.groupAdd(group, plain);
      await layer.groupAdd(group, local);
      await layer.groupAdd(group, local); // adding twice is one membership
      expect(await layer.groupSend(group, { type: 'hello', n: 1 })).toEqual({ dropped: 0 });
      await layer.groupSend(group, { type: 'hello', n: 2 });
      expect(await h.next(layer, plain)).toEqual({ type: 'hello', n: 1 });
      expect(await h.next(layer, local)).toEqual({ type: 'hello', n: 1 });
      // The second message comes next, not a duplicate of the first.
      expect(await h.next(layer, local)).toEqual({ type: 'hello', n: 2 });
      expect(await h.next(layer, plain)).toEqual({ type: 'hello', n: 2 });
    });

    it('stops sending to a discarded member', async () => {
      const layer = await h.make();
      const group = h.name('room');
      const stays = h.name('stays');
      const leaves = h.name('leaves');
      await layer.groupAdd(group, stays);
      await layer.groupAdd(group, leaves);
      await layer.groupDiscard(group, leaves);
      await layer.groupSend(group, { type: 'after.discard' });
      await layer.send(leaves, { type: 'direct' });
      expect(await h.next(layer, stays)).toEqual({ type: 'after.discard' });
      expect(await h.next(layer, leaves)).toEqual({ type: 'direct' });
      expect(await layer.groupMembers(group)).toEqual([stays]);
    });

    it('treats discarding a non-member, or from an unknown group, as fine', async () => {
      const layer = await h.make();
      const group = h.name('room');
      await layer.groupDiscard(group, h.name('never'));
      await layer.groupAdd(group, h.name('member'));
      await layer.groupDiscard(group, h.name('stranger'));
      expect(await layer.groupMembers(group)).toHaveLength(1);
    });

    it('sends to an empty or unknown group without error', async () => {
      const layer = await h.make();
      expect(await layer.groupSend(h.name('nobody'), { type: 'void' })).toEqual({ dropped: 0 });
    });

    it('lists current members', async () => {
      const layer = await h.make();
      const group = h.name('room');
      const members = [h.name('m'), h.name('m'), await layer.newChannel()];
      for (const m of members) await layer.groupAdd(group, m);
      expect((await layer.groupMembers(group)).sort()).toEqual([...members].sort());
      expect(await layer.groupMembers(h.name('unknown'))).toEqual([]);
    });

    it('skips a full member, delivers to the others, counts and reports the drop', async () => {
      const layer = await h.make({ capacity: 1 });
      const group = h.name('room');
      const full = h.name('full');
      const others = [h.name('ok'), h.name('ok')];
      await layer.groupAdd(group, full);
      for (const o of others) await layer.groupAdd(group, o);
      await layer.send(full, { type: 'filler' });
      const events: Array<{ group?: string; count: number }> = [];
      const reported = new Promise<void>((resolve) => layer.on('dropped', (info) => (events.push(info), resolve())));
      expect(await layer.groupSend(group, { type: 'news' })).toEqual({ dropped: h.caps.namedDropsLater ? 0 : 1 });
      if (h.caps.namedDropsLater) await h.within(reported, 'the drop report');
      expect(events).toEqual([expect.objectContaining({ group, count: 1 })]);
      for (const o of others) expect(await h.next(layer, o)).toEqual({ type: 'news' });
      expect(await h.next(layer, full)).toEqual({ type: 'filler' });
      // Room again: the member gets later sends.
      await layer.groupSend(group, { type: 'later' });
      expect(await h.next(layer, full)).toEqual({ type: 'later' });
    });

    it('groupSendMany sends each entry and totals the drops', async () => {
      const layer = await h.make({ capacity: 1 });
      const g1 = h.name('g1');
      const g2 = h.name('g2');
      const a = h.name('a');
      const b = h.name('b');
      await layer.groupAdd(g1, a);
      await layer.groupAdd(g2, a);
      await layer.groupAdd(g2, b);
      const result = await layer.groupSendMany([
        [g1, { type: 'one' }],
        [g2, { type: 'two' }],
      ]);
      expect(result).toEqual({ dropped: h.caps.namedDropsLater ? 0 : 1 }); // a was full after "one"
      expect(await h.next(layer, a)).toEqual({ type: 'one' });
      expect(await h.next(layer, b)).toEqual({ type: 'two' });
      expect(await layer.groupSendMany([])).toEqual({ dropped: 0 });
    });

    it('expires a membership groupExpiry seconds after the last groupAdd', async () => {
      const layer = await h.make({ groupExpiry: 100 });
      const group = h.name('room');
      const refreshed = h.name('refreshed');
      const lapsed = h.name('lapsed');
      await layer.groupAdd(group, refreshed);
      await layer.groupAdd(group, lapsed);
      h.clock.advance(60);
      await layer.groupAdd(group, refreshed);
      h.clock.advance(41);
      // groupSend before groupMembers: each must skip expired members on its own.
      await layer.groupSend(group, { type: 'only.live' });
      await layer.send(lapsed, { type: 'direct' });
      expect(await layer.groupMembers(group)).toEqual([refreshed]);
      expect(await h.next(layer, lapsed)).toEqual({ type: 'direct' });
      expect(await h.next(layer, refreshed)).toEqual({ type: 'only.live' });
      h.clock.advance(60);
      expect(await layer.groupMembers(group)).toEqual([]);
    });
  });
}
