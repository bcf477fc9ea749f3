/** Contract: capacity and patterns, message expiry, flush, close, and layers acting as two processes. */
import { ChannelFull } from '../../../src/errors';
import type { ChannelLayer } from '../../../src/layers/channel-layer';
import type { Harness } from '../harness';
import { rejectionOf } from '../harness';

async function fill(layer: ChannelLayer, channel: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await layer.send(channel, { type: 'fill', i });
}

export function lifecycleCases(h: Harness): void {
  describe('capacity', () => {
    it('holds 100 messages per channel by default, then throws ChannelFull', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      await fill(layer, channel, 100);
      const error = await rejectionOf(layer.send(channel, { type: 'one.too.many' }));
      expect(error).toBeInstanceOf(ChannelFull);
      expect(error.code).toBe('ERR_CHANNEL_FULL');
      expect((error as ChannelFull).channel).toBe(channel);
      // Other channels are unaffected; reading makes room again.
      await layer.send(h.name('other'), { type: 'fine' });
      expect(await h.next(layer, channel)).toEqual({ type: 'fill', i: 0 });
      await layer.send(channel, { type: 'room.again' });
    });

    it('uses the capacity option', async () => {
      const layer = await h.make({ capacity: 3 });
      const channel = h.name('chan');
      await fill(layer, channel, 3);
      expect((await rejectionOf(layer.send(channel, { type: 'x' }))).code).toBe('ERR_CHANNEL_FULL');
    });

    it('applies glob and RegExp patterns, first match wins', async () => {
      const single = h.name('single');
      const layer = await h.make({
        capacity: 4,
        channelCapacity: [
          [/^re\.tight\./, 1],
          ['re.*', 2],
          [`${single}?`, 3],
        ],
      });
      const cases: Array<[channel: string, capacity: number]> = [
        [`re.tight.${h.name('x')}`, 1],
        [`re.loose.${h.name('x')}`, 2],
        [`${single}1`, 3],
        [`${single}12`, 4], // `?` is exactly one character
        [h.name('plain'), 4],
      ];
      for (const [channel, capacity] of cases) {
        await fill(layer, channel, capacity);
        const error = await rejectionOf(layer.send(channel, { type: 'over' }));
        expect([channel, error.code]).toEqual([channel, 'ERR_CHANNEL_FULL']);
      }
    });

    it('accepts patterns as an object of globs', async () => {
      const layer = await h.make({ capacity: 5, channelCapacity: { 'obj.small.*': 1, 'obj.*': 2 } });
      const small = `obj.small.${h.name('x')}`;
      const other = `obj.other.${h.name('x')}`;
      await fill(layer, small, 1);
      expect((await rejectionOf(layer.send(small, { type: 'x' }))).code).toBe('ERR_CHANNEL_FULL');
      await fill(layer, other, 2);
      expect((await rejectionOf(layer.send(other, { type: 'x' }))).code).toBe('ERR_CHANNEL_FULL');
    });

    it('counts process-local channels at capacity too', async () => {
      const layer = await h.make({ capacity: 2 });
      const local = await layer.newChannel();
      await fill(layer, local, 2);
      expect((await rejectionOf(layer.send(local, { type: 'x' }))).code).toBe('ERR_CHANNEL_FULL');
    });
  });

  describe('message expiry', () => {
    it('never delivers a message older than expiry', async () => {
      const layer = await h.make({ expiry: 10 });
      const channel = h.name('chan');
      await layer.send(channel, { type: 'stale' });
      h.clock.advance(11);
      await layer.send(channel, { type: 'fresh' });
      expect(await h.next(layer, channel)).toEqual({ type: 'fresh' });
    });

    it('delivers a message just inside expiry', async () => {
      const layer = await h.make({ expiry: 10 });
      const channel = h.name('chan');
      await layer.send(channel, { type: 'in.time' });
      h.clock.advance(9);
      expect(await h.next(layer, channel)).toEqual({ type: 'in.time' });
    });

    it('does not count expired messages toward capacity', async () => {
      const layer = await h.make({ expiry: 10, capacity: 2 });
      const channel = h.name('chan');
      await fill(layer, channel, 2);
      h.clock.advance(11);
      await fill(layer, channel, 2);
      expect((await rejectionOf(layer.send(channel, { type: 'x' }))).code).toBe('ERR_CHANNEL_FULL');
    });

    it('expires process-local and group-sent messages too', async () => {
      const layer = await h.make({ expiry: 10 });
      const local = await layer.newChannel();
      const group = h.name('room');
      await layer.groupAdd(group, local);
      await layer.groupSend(group, { type: 'stale' });
      h.clock.advance(11);
      await layer.groupSend(group, { type: 'fresh' });
      expect(await h.next(layer, local)).toEqual({ type: 'fresh' });
    });
  });

  describe('flush', () => {
    it('drops queued messages and groups; pending receives keep waiting', async () => {
      const layer = await h.make();
      const queued = h.name('queued');
      const waiting = h.name('waiting');
      const group = h.name('room');
      await layer.send(queued, { type: 'gone' });
      await layer.groupAdd(group, waiting);
      const pending = h.next(layer, waiting);
      await layer.flush();
      expect(await layer.groupMembers(group)).toEqual([]);
      expect(await layer.groupSend(group, { type: 'nobody' })).toEqual({ dropped: 0 });
      await layer.send(queued, { type: 'after.flush' });
      expect(await h.next(layer, queued)).toEqual({ type: 'after.flush' });
      await layer.send(waiting, { type: 'still.waiting' });
      expect(await pending).toEqual({ type: 'still.waiting' });
    });
  });

  describe('close', () => {
    it('rejects pending receives with LayerClosed, then refuses every call; close is idempotent', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      const pending = layer.receive(channel);
      const local = layer.receive(await layer.newChannel());
      await layer.close();
      expect((await rejectionOf(pending)).code).toBe('ERR_LAYER_CLOSED');
      expect((await rejectionOf(local)).code).toBe('ERR_LAYER_CLOSED');
      const calls: Array<Promise<unknown>> = [
        layer.send(channel, { type: 'x' }),
        layer.sendMany([[channel, { type: 'x' }]]),
        layer.receive(channel),
        layer.newChannel(),
        layer.groupAdd('g', channel),
        layer.groupDiscard('g', channel),
        layer.groupSend('g', { type: 'x' }),
        layer.groupSendMany([['g', { type: 'x' }]]),
        layer.groupMembers('g'),
        layer.flush(),
      ];
      for (const call of calls) expect((await rejectionOf(call)).code).toBe('ERR_LAYER_CLOSED');
      await layer.close();
    });
  });

  describe('two layers as two processes', () => {
    const cross = (): boolean => h.caps.crossInstance;

    it('delivers across layers (send, group, process-local), or keeps them apart when separate', async () => {
      const one = await h.make();
      const two = await h.make();
      const channel = h.name('shared');
      const group = h.name('room');
      const local = await two.newChannel();
      const ownLocal = await one.newChannel();
      expect(local.slice(0, local.indexOf('!'))).not.toBe(ownLocal.slice(0, ownLocal.indexOf('!')));
      await two.groupAdd(group, local);
      if (cross()) {
        await one.send(channel, { type: 'direct' });
        expect(await h.next(two, channel)).toEqual({ type: 'direct' });
        await one.send(local, { type: 'to.local' });
        expect(await h.next(two, local)).toEqual({ type: 'to.local' });
        expect(await one.groupMembers(group)).toEqual([local]);
        await one.groupSend(group, { type: 'via.group' });
        expect(await h.next(two, local)).toEqual({ type: 'via.group' });
      } else {
        await one.send(channel, { type: 'mine' });
        await two.send(channel, { type: 'yours' });
        expect(await h.next(two, channel)).toEqual({ type: 'yours' });
        expect(await one.groupMembers(group)).toEqual([]);
      }
    });

    it('closing one layer leaves the other working', async () => {
      const one = await h.make();
      const two = await h.make();
      await one.close();
      const channel = h.name('chan');
      await two.send(channel, { type: 'alive' });
      expect(await h.next(two, channel)).toEqual({ type: 'alive' });
    });
  });
}
