import { LocalMailbox } from '../../../../src/layers/redis/local-mailbox';
import { sealMessage } from '../../../../src/layers/message';
import type { LayerMessage } from '../../../../src/layers/channel-layer';
import { DELIVER, type ChannelReader } from '../../../../src/layers/channel-listener';

function mailbox(capacity = 2): { box: LocalMailbox; watched: string[]; dropped: string[] } {
  const watched: string[] = [];
  const dropped: string[] = [];
  const box = new LocalMailbox({
    now: () => 1_000,
    capacityOf: () => capacity,
    onDropped: (channel, reason) => dropped.push(`${channel}: ${reason}`),
    onWatch: (key) => watched.push(key),
  });
  return { box, watched, dropped };
}

const FUTURE = 60_000;

describe('LocalMailbox push delivery', () => {
  it('hands buffered messages over first, then each delivery, and starts watching the queue key', () => {
    const { box, watched } = mailbox();
    box.deliver('p.tok!a', sealMessage({ type: 'm', n: 1 }), FUTURE, 'refuse');
    const got: unknown[] = [];
    expect(box.listen('p.tok!a', (message) => got.push(message.n))).toBe(true);
    expect(got).toEqual([1]);
    expect(watched).toEqual(['p.tok!']);
    expect(box.isWatched('p.tok!')).toBe(true);
    box.deliver('p.tok!a', sealMessage({ type: 'm', n: 2 }), FUTURE, 'refuse');
    expect(got).toEqual([1, 2]);
    expect(box.size).toBe(0);
  });

  it('has room for a listened channel whatever the capacity, and nothing is dropped', () => {
    const { box, dropped } = mailbox(1);
    const got: unknown[] = [];
    box.listen('p.tok!a', (message) => got.push(message.n));
    for (let n = 0; n < 5; n++) {
      expect(box.hasRoom('p.tok!a')).toBe(true);
      expect(box.deliver('p.tok!a', sealMessage({ type: 'm', n }), FUTURE, 'refuse')).toBe(true);
    }
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(dropped).toEqual([]);
  });

  it('unlisten stops the pushes and the watch; later messages are buffered for receive', async () => {
    const { box } = mailbox();
    const got: unknown[] = [];
    const listener = (message: LayerMessage): void => void got.push(message.n);
    box.listen('p.tok!a', listener);
    expect(box.listen('p.tok!a', () => undefined)).toBe(false);
    box.unlisten('p.tok!a', () => undefined); // not the channel's listener: ignored
    expect(box.hasWaiter('p.tok!a')).toBe(true);
    box.unlisten('p.tok!a', listener);
    expect(box.isWatched('p.tok!')).toBe(false);
    box.deliver('p.tok!a', sealMessage({ type: 'm', n: 1 }), FUTURE, 'refuse');
    expect(got).toEqual([]);
    expect(box.take('p.tok!a')).toEqual({ type: 'm', n: 1 });
  });

  it('takes a reader object as the listener, as the memory layer does (no closure per consumer)', () => {
    const { box } = mailbox();
    box.deliver('p.tok!a', sealMessage({ type: 'm', n: 1 }), FUTURE, 'refuse');
    const got: unknown[] = [];
    const reader: ChannelReader = { [DELIVER]: (message) => void got.push(message.n) };
    expect(box.listen('p.tok!a', reader)).toBe(true);
    box.deliver('p.tok!a', sealMessage({ type: 'm', n: 2 }), FUTURE, 'refuse');
    expect(got).toEqual([1, 2]);
    box.unlisten('p.tok!a', reader);
    expect(box.isWatched('p.tok!')).toBe(false);
  });

  it('close drops listeners', () => {
    const { box } = mailbox();
    const got: unknown[] = [];
    box.listen('p.tok!a', (message) => got.push(message));
    box.close('test');
    expect(box.hasWaiter('p.tok!a')).toBe(false);
  });
});
