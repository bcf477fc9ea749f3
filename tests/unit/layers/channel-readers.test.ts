import { LayerClosed, ReceiveAborted } from '../../../src/errors';
import type { LayerMessage } from '../../../src/layers/channel-layer';
import { ChannelReaders } from '../../../src/layers/channel-readers';
import { sealMessage } from '../../../src/layers/message';

function readers(): { readers: ChannelReaders; log: string[] } {
  const log: string[] = [];
  return { readers: new ChannelReaders({ added: (c) => log.push(`+${c}`), removed: (c) => log.push(`-${c}`) }), log };
}

describe('ChannelReaders', () => {
  it('hands over to the oldest waiter first, one message each, and reports nobody reading', async () => {
    const { readers: r, log } = readers();
    expect(r.handOver('a', sealMessage({ type: 'm', n: 0 }))).toBe(false);
    const first = r.wait('a', undefined);
    const second = r.wait('a', undefined);
    expect(r.count).toBe(2);
    expect(r.handOver('a', sealMessage({ type: 'm', n: 1 }))).toBe(true);
    expect(r.handOver('a', sealMessage({ type: 'm', n: 2 }))).toBe(true);
    expect([await first, await second]).toEqual([{ type: 'm', n: 1 }, { type: 'm', n: 2 }]);
    expect(r.has('a')).toBe(false);
    expect(log).toEqual(['+a', '+a', '-a', '-a']);
  });

  it('an aborted wait rejects with ReceiveAborted and is no longer a reader', async () => {
    const { readers: r, log } = readers();
    const abort = new AbortController();
    const waiting = r.wait('a', abort.signal);
    abort.abort();
    await expect(waiting).rejects.toBeInstanceOf(ReceiveAborted);
    expect(r.count).toBe(0);
    expect(r.handOver('a', sealMessage({ type: 'm' }))).toBe(false);
    expect(log).toEqual(['+a', '-a']);
  });

  it('a listener gets what is still queued first, then every hand-over; one listener per channel', () => {
    const { readers: r } = readers();
    const queued: LayerMessage[] = [{ type: 'm', n: 1 }];
    const got: unknown[] = [];
    const listener = (message: LayerMessage): void => void got.push(message.n);
    expect(r.listen('a', listener, () => queued.shift())).toBe(true);
    expect(r.listen('a', () => undefined, () => undefined)).toBe(false);
    r.handOver('a', sealMessage({ type: 'm', n: 2 }));
    expect(got).toEqual([1, 2]);
    r.unlisten('a', listener);
    expect(r.handOver('a', sealMessage({ type: 'm', n: 3 }))).toBe(false);
  });

  it('close rejects every waiter with LayerClosed and forgets the listeners', async () => {
    const { readers: r } = readers();
    const waiting = r.wait('a', new AbortController().signal);
    r.listen('b', () => undefined, () => undefined);
    r.close('test layer');
    await expect(waiting).rejects.toBeInstanceOf(LayerClosed);
    expect(r.count).toBe(0);
  });
});
