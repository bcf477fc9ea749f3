/** Contract: send/receive, FIFO, isolation, process-local channels, delivery guarantees, bulk sends. */
import type { Harness } from '../harness';
import { rejectionOf } from '../harness';

export function messagingCases(h: Harness): void {
  describe('send and receive', () => {
    it('delivers a sent message to a later receive, data intact', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      const message = { type: 'test.message', text: 'héllo', n: 1.5, ok: true, none: null, list: [1, 'a', [2]], nested: { deep: { x: [{ y: 1 }] } } };
      await layer.send(channel, message);
      expect(await h.next(layer, channel)).toEqual(message);
    });

    it('delivers to a receive that was already waiting', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      const pending = h.next(layer, channel);
      await layer.send(channel, { type: 'late', value: 7 });
      expect(await pending).toEqual({ type: 'late', value: 7 });
    });

    it('is FIFO per channel', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      for (let i = 0; i < 20; i++) await layer.send(channel, { type: 'seq', i });
      const got: unknown[] = [];
      for (let i = 0; i < 20; i++) got.push((await h.next(layer, channel)).i);
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('keeps channels apart', async () => {
      const layer = await h.make();
      const a = h.name('a');
      const b = h.name('b');
      await layer.send(a, { type: 'for.a' });
      await layer.send(b, { type: 'for.b' });
      expect(await h.next(layer, b)).toEqual({ type: 'for.b' });
      expect(await h.next(layer, a)).toEqual({ type: 'for.a' });
    });

    it('delivers each message once (at most once, never duplicated)', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      await layer.send(channel, { type: 'one' });
      expect(await h.next(layer, channel)).toEqual({ type: 'one' });
      await layer.send(channel, { type: 'two' });
      expect(await h.next(layer, channel)).toEqual({ type: 'two' });
    });

    it('serves concurrent receivers on different channels', async () => {
      const layer = await h.make();
      const channels = Array.from({ length: 25 }, () => h.name('many'));
      const pending = channels.map((c) => h.next(layer, c));
      for (const [i, c] of channels.entries()) await layer.send(c, { type: 'mine', i });
      const got = await Promise.all(pending);
      expect(got.map((m) => m.i)).toEqual(channels.map((_, i) => i));
    });

    it('never blocks the sender when nobody receives', async () => {
      const layer = await h.make({ capacity: 5 });
      const channel = h.name('chan');
      for (let i = 0; i < 5; i++) await h.within(layer.send(channel, { type: 'x', i }), 'a send to return');
    });

    it('does not let the sender change a message after send', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      const message = { type: 'm', data: { n: 1 }, list: [1] };
      await layer.send(channel, message);
      message.data.n = 2;
      message.list.push(2);
      expect(await h.next(layer, channel)).toEqual({ type: 'm', data: { n: 1 }, list: [1] });
    });
  });

  describe('process-local channels', () => {
    it('newChannel returns distinct <prefix>.<token>!<random> names', async () => {
      const layer = await h.make();
      const a = await layer.newChannel();
      const b = await layer.newChannel();
      const c = await layer.newChannel('worker.jobs');
      expect(a).toMatch(/^specific\.[A-Za-z\d\-_.]+![\w\-.]+$/);
      expect(c).toMatch(/^worker\.jobs\.[A-Za-z\d\-_.]+![\w\-.]+$/);
      expect(a).not.toBe(b);
      expect(a.length).toBeLessThan(100);
      // The same layer shares one non-local part, where capacity is counted.
      expect(a.slice(0, a.indexOf('!'))).toBe(b.slice(0, b.indexOf('!')));
    });

    it('refuses a newChannel prefix that is not a plain name', async () => {
      const layer = await h.make();
      expect((await rejectionOf(layer.newChannel('bad!prefix'))).code).toBe('ERR_INVALID_CHANNEL_NAME');
      expect((await rejectionOf(layer.newChannel('sp ace'))).code).toBe('ERR_INVALID_CHANNEL_NAME');
    });

    it('sends to and receives on the full local name, keeping local channels apart', async () => {
      const layer = await h.make();
      const a = await layer.newChannel();
      const b = await layer.newChannel();
      await layer.send(a, { type: 'to.a' });
      await layer.send(b, { type: 'to.b' });
      await layer.send(a, { type: 'to.a.2' });
      expect(await h.next(layer, b)).toEqual({ type: 'to.b' });
      expect(await h.next(layer, a)).toEqual({ type: 'to.a' });
      expect(await h.next(layer, a)).toEqual({ type: 'to.a.2' });
    });

    it('delivers to a waiting local receiver', async () => {
      const layer = await h.make();
      const a = await layer.newChannel();
      const pending = h.next(layer, a);
      await layer.send(a, { type: 'wake' });
      expect(await pending).toEqual({ type: 'wake' });
    });
  });

  describe('bulk sends', () => {
    it('sendMany queues every entry and reports full channels', async () => {
      const layer = await h.make({ capacity: 2 });
      const a = h.name('a');
      const b = h.name('b');
      const result = await layer.sendMany([
        [a, { type: 'a1' }],
        [b, { type: 'b1' }],
        [a, { type: 'a2' }],
        [a, { type: 'a3' }],
      ]);
      expect(result).toEqual({ sent: 3, full: [a] });
      expect(await h.next(layer, a)).toEqual({ type: 'a1' });
      expect(await h.next(layer, a)).toEqual({ type: 'a2' });
      expect(await h.next(layer, b)).toEqual({ type: 'b1' });
    });

    it('sendMany validates everything before sending anything', async () => {
      const layer = await h.make();
      const a = h.name('a');
      const error = await rejectionOf(
        layer.sendMany([
          [a, { type: 'fine' }],
          [a, { type: 'bad', when: new Date() } as never],
        ]),
      );
      expect(error.code).toBe('ERR_INVALID_MESSAGE');
      await layer.send(a, { type: 'after' });
      expect(await h.next(layer, a)).toEqual({ type: 'after' });
    });

    it('sendMany accepts any iterable, including an empty one', async () => {
      const layer = await h.make();
      const a = h.name('a');
      expect(await layer.sendMany([])).toEqual({ sent: 0, full: [] });
      const entries = new Map([[a, { type: 'from.map' }]]);
      expect(await layer.sendMany(entries)).toEqual({ sent: 1, full: [] });
      expect(await h.next(layer, a)).toEqual({ type: 'from.map' });
    });
  });

  describe('abort', () => {
    it('rejects with ReceiveAborted and loses no message to the aborted waiter', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      const controller = new AbortController();
      const aborted = layer.receive(channel, { signal: controller.signal });
      controller.abort();
      const error = await rejectionOf(aborted);
      expect(error.code).toBe('ERR_RECEIVE_ABORTED');
      await layer.send(channel, { type: 'kept' });
      expect(await h.next(layer, channel)).toEqual({ type: 'kept' });
    });

    it('rejects at once for an already aborted signal without consuming a queued message', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      await layer.send(channel, { type: 'queued' });
      const error = await rejectionOf(layer.receive(channel, { signal: AbortSignal.abort() }));
      expect(error.code).toBe('ERR_RECEIVE_ABORTED');
      expect(await h.next(layer, channel)).toEqual({ type: 'queued' });
    });

    it('hands a message to the next receiver after an earlier one aborted', async () => {
      const layer = await h.make();
      const channel = h.name('chan');
      for (let round = 0; round < 5; round++) {
        const controller = new AbortController();
        const aborted = layer.receive(channel, { signal: controller.signal });
        controller.abort();
        expect((await rejectionOf(aborted)).code).toBe('ERR_RECEIVE_ABORTED');
      }
      const pending = h.next(layer, channel);
      await layer.send(channel, { type: 'survivor' });
      expect(await pending).toEqual({ type: 'survivor' });
    });
  });
}
