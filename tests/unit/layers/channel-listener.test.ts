import { LayerClosed, InvalidChannelName } from '../../../src/errors';
import { BaseChannelLayer } from '../../../src/layers/base-channel-layer';
import type { GroupSendResult, LayerMessage } from '../../../src/layers/channel-layer';
import { DELIVER, LISTEN, UNLISTEN, listenToChannel, stopListening, type ChannelReader } from '../../../src/layers/channel-listener';
import type { SealedMessage } from '../../../src/layers/message';
import { memoryLayers } from '../../helpers/memory-layers';

describe('push delivery (LISTEN) on the memory layer', () => {
  const make = memoryLayers();

  it('hands over queued messages first, then each new one synchronously, in order', async () => {
    const layer = make();
    const channel = await layer.newChannel();
    await layer.send(channel, { type: 'm', n: 1 });
    await layer.send(channel, { type: 'm', n: 2 });
    const got: unknown[] = [];
    expect(listenToChannel(layer, channel, (message) => got.push(message.n))).toBe(true);
    expect(got).toEqual([1, 2]);
    await layer.send(channel, { type: 'm', n: 3 });
    await layer.groupAdd('g', channel);
    const sending = layer.groupSend('g', { type: 'm', n: 4 });
    // Delivered inside groupSend, before its promise settles.
    expect(got).toEqual([1, 2, 3, 4]);
    await sending;
    expect(layer.stats()).toMatchObject({ messages: 0, waiters: 1 });
  });

  it('never refuses a listener for capacity, and stops on UNLISTEN (messages queue again)', async () => {
    const layer = make({ capacity: 2 });
    const channel = await layer.newChannel();
    const got: number[] = [];
    const listener = (message: LayerMessage): void => void got.push(message.n as number);
    expect(listenToChannel(layer, channel, listener)).toBe(true);
    for (let n = 0; n < 10; n++) await layer.send(channel, { type: 'm', n });
    expect(got).toHaveLength(10);

    stopListening(layer, channel, listener);
    expect(layer.stats().waiters).toBe(0);
    await layer.send(channel, { type: 'm', n: 10 });
    expect(got).toHaveLength(10);
    expect(await layer.receive(channel)).toEqual({ type: 'm', n: 10 });
  });

  it('allows one listener per channel; UNLISTEN of another listener is ignored', async () => {
    const layer = make();
    const channel = await layer.newChannel();
    const first: unknown[] = [];
    const firstListener = (message: LayerMessage): void => void first.push(message.n);
    const other = (): void => undefined;
    expect(listenToChannel(layer, channel, firstListener)).toBe(true);
    expect(listenToChannel(layer, channel, other)).toBe(false);
    stopListening(layer, channel, other);
    await layer.send(channel, { type: 'm', n: 1 });
    expect(first).toEqual([1]);
  });

  it('delivers to a reader object through [DELIVER], one listener of either kind per channel', async () => {
    const layer = make();
    const channel = await layer.newChannel();
    await layer.send(channel, { type: 'm', n: 1 });
    const got: number[] = [];
    const reader: ChannelReader = { [DELIVER]: (message) => void got.push(message.n as number) };
    expect(listenToChannel(layer, channel, reader)).toBe(true);
    expect(got).toEqual([1]);
    expect(listenToChannel(layer, channel, () => undefined)).toBe(false);
    expect(listenToChannel(layer, channel, { [DELIVER]: () => undefined })).toBe(false);
    await layer.groupAdd('g', channel);
    await layer.groupSend('g', { type: 'm', n: 2 });
    expect(got).toEqual([1, 2]);
    stopListening(layer, channel, reader);
    await layer.send(channel, { type: 'm', n: 3 });
    expect(got).toEqual([1, 2]);
    expect(await layer.receive(channel)).toMatchObject({ n: 3 });
    expect(() => listenToChannel(layer, 'bad name', reader)).toThrow(InvalidChannelName);
  });

  it('validates like receive: bad names and a closed layer throw', async () => {
    const layer = make();
    expect(() => layer[LISTEN]('bad name!', () => undefined)).toThrow(InvalidChannelName);
    const channel = await layer.newChannel();
    await layer.close();
    expect(() => layer[LISTEN](channel, () => undefined)).toThrow(LayerClosed);
    expect(() => layer[UNLISTEN](channel, () => undefined)).not.toThrow();
  });

  it('one receiver mutating its delivered message cannot change what another receiver gets', async () => {
    const layer = make();
    const a = await layer.newChannel();
    const b = await layer.newChannel();
    await layer.groupAdd('room', a);
    await layer.groupAdd('room', b);
    const seenByA: LayerMessage[] = [];
    const seenByB: string[] = [];
    listenToChannel(layer, a, (message) => {
      seenByA.push(message);
      // Everything a receiver could try: top level, nested object, nested array, binary.
      expect(Reflect.set(message, 'text', 'changed by a')).toBe(false);
      expect(Reflect.set(message.meta as object, 'user', 'mallory')).toBe(false);
      expect(Reflect.set(message.tags as object, 0, 'x')).toBe(false);
      expect(() => (message.tags as string[]).push('x')).toThrow(TypeError);
      (message.blob as Uint8Array)[0] = 0xff;
    });
    listenToChannel(layer, b, (message) => seenByB.push(JSON.stringify({ ...message, blob: Array.from(message.blob as Uint8Array) })));
    const original = { type: 'chat.message', text: 'hi', meta: { user: 'alice' }, tags: ['t'], blob: new Uint8Array([1, 2]) };
    await layer.groupSend('room', original);

    expect(seenByA).toHaveLength(1);
    expect(seenByB).toEqual([JSON.stringify({ type: 'chat.message', text: 'hi', meta: { user: 'alice' }, tags: ['t'], blob: [1, 2] })]);
    // Nor the sender's object.
    expect(original.blob[0]).toBe(1);
  });
});

describe('push delivery on a backend without it', () => {
  class QueueOnly extends BaseChannelLayer {
    protected async doSend(): Promise<void> {}
    protected doReceive(): Promise<LayerMessage> {
      return new Promise(() => undefined);
    }
    protected async doGroupAdd(): Promise<void> {}
    protected async doGroupDiscard(): Promise<void> {}
    protected async doGroupSend(_group: string, _sealed: SealedMessage): Promise<GroupSendResult> {
      return { dropped: 0 };
    }
    protected async doGroupMembers(): Promise<string[]> {
      return [];
    }
    protected async doFlush(): Promise<void> {}
    protected async doClose(): Promise<void> {}
  }

  it('reports false, so the reader uses receive()', async () => {
    const layer = new QueueOnly();
    expect(listenToChannel(layer, await layer.newChannel(), () => undefined)).toBe(false);
    expect(listenToChannel(layer, await layer.newChannel(), { [DELIVER]: () => undefined })).toBe(false);
    await layer.close();
  });

  it('a layer object without the method is treated the same way', () => {
    expect(listenToChannel({}, 'x', () => undefined)).toBe(false);
    expect(listenToChannel({}, 'x', { [DELIVER]: () => undefined })).toBe(false);
    expect(() => stopListening({}, 'x', () => undefined)).not.toThrow();
  });
});
