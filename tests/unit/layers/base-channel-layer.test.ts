import { ChannelFull, LayerClosed } from '../../../src/errors';
import { BaseChannelLayer } from '../../../src/layers/base-channel-layer';
import type { GroupSendResult, LayerMessage } from '../../../src/layers/channel-layer';
import type { SealedMessage } from '../../../src/layers/message';

/** Records every hook call; `full` channels make doSend throw ChannelFull, `dropping` groups report drops. */
class RecordingLayer extends BaseChannelLayer {
  calls: Array<[hook: string, ...args: unknown[]]> = [];
  full = new Set<string>();
  dropping = new Map<string, number>();

  protected async doSend(channel: string, sealed: SealedMessage): Promise<void> {
    this.calls.push(['send', channel, sealed]);
    if (this.full.has(channel)) throw new ChannelFull(channel, this.capacityOf(channel));
  }
  protected async doReceive(channel: string): Promise<LayerMessage> {
    this.calls.push(['receive', channel]);
    return { type: 'received' };
  }
  protected async doGroupAdd(group: string, channel: string): Promise<void> {
    this.calls.push(['groupAdd', group, channel]);
  }
  protected async doGroupDiscard(group: string, channel: string): Promise<void> {
    this.calls.push(['groupDiscard', group, channel]);
  }
  protected async doGroupSend(group: string, sealed: SealedMessage): Promise<GroupSendResult> {
    this.calls.push(['groupSend', group, sealed]);
    return { dropped: this.dropping.get(group) ?? 0 };
  }
  protected async doGroupMembers(group: string): Promise<string[]> {
    this.calls.push(['groupMembers', group]);
    return [];
  }
  protected async doFlush(): Promise<void> {
    this.calls.push(['flush']);
  }
  protected async doClose(): Promise<void> {
    this.calls.push(['close']);
  }
}

describe('BaseChannelLayer', () => {
  it('validates before any hook runs', async () => {
    const layer = new RecordingLayer();
    await expect(layer.send('bad name', { type: 'x' })).rejects.toMatchObject({ code: 'ERR_INVALID_CHANNEL_NAME' });
    await expect(layer.send('ok', { type: 'x', f: () => 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_MESSAGE' });
    await expect(layer.groupSend('bad!', { type: 'x' })).rejects.toMatchObject({ code: 'ERR_INVALID_GROUP_NAME' });
    await expect(layer.groupAdd('g', 'bad name')).rejects.toMatchObject({ code: 'ERR_INVALID_CHANNEL_NAME' });
    await expect(layer.receive('ok', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_RECEIVE_ABORTED' });
    await expect(
      layer.groupSendMany([
        ['g', { type: 'ok' }],
        ['g', { type: 1 } as never],
      ]),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_MESSAGE' });
    expect(layer.calls).toEqual([]);
  });

  it('hands hooks a sealed, frozen copy, sealed once per call', async () => {
    const layer = new RecordingLayer();
    const message = { type: 'x', data: { n: 1 } };
    await layer.send('ok', message);
    const [, channel, sealed] = layer.calls[0] as [string, string, SealedMessage];
    expect(channel).toBe('ok');
    expect(sealed.message).toEqual(message);
    expect(sealed.message).not.toBe(message);
    expect(Object.isFrozen(sealed.message.data)).toBe(true);
  });

  it('collects full channels in the default sendMany and rethrows other errors', async () => {
    const layer = new RecordingLayer();
    layer.full.add('b');
    expect(await layer.sendMany([['a', { type: 'x' }], ['b', { type: 'x' }], ['c', { type: 'x' }]])).toEqual({ sent: 2, full: ['b'] });
    const broken = new RecordingLayer();
    (broken as unknown as { doSend: () => Promise<void> }).doSend = async () => {
      throw new Error('backend down');
    };
    await expect(broken.sendMany([['a', { type: 'x' }]])).rejects.toThrow('backend down');
  });

  it("emits 'dropped' for groupSend and groupSendMany drops, once per group", async () => {
    const layer = new RecordingLayer();
    layer.dropping.set('busy', 2);
    const events: unknown[] = [];
    layer.on('dropped', (info) => events.push(info));
    expect(await layer.groupSend('busy', { type: 'x' })).toEqual({ dropped: 2 });
    expect(await layer.groupSend('calm', { type: 'x' })).toEqual({ dropped: 0 });
    expect(await layer.groupSendMany([['busy', { type: 'x' }], ['calm', { type: 'x' }], ['busy', { type: 'y' }]])).toEqual({ dropped: 4 });
    expect(events).toEqual([
      { group: 'busy', count: 2, reason: 'channel full' },
      { group: 'busy', count: 2, reason: 'channel full' },
      { group: 'busy', count: 2, reason: 'channel full' },
    ]);
  });

  it("a throwing 'dropped' listener becomes a process warning; the groupSend still resolves", async () => {
    const layer = new RecordingLayer();
    layer.dropping.set('busy', 1);
    layer.on('dropped', () => {
      throw new Error('listener bug');
    });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(await layer.groupSend('busy', { type: 'x' })).toEqual({ dropped: 1 });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/'dropped' listener threw: Error: listener bug/);
      expect(warn.mock.calls[0]![1]).toBe('SwitchyardWarning');
    } finally {
      warn.mockRestore();
    }
  });

  it('closes once and refuses calls afterwards with LayerClosed', async () => {
    const layer = new RecordingLayer();
    await Promise.all([layer.close(), layer.close()]);
    await layer.close();
    expect(layer.calls).toEqual([['close']]);
    await expect(layer.flush()).rejects.toBeInstanceOf(LayerClosed);
    await expect(layer.newChannel()).rejects.toMatchObject({ code: 'ERR_LAYER_CLOSED' });
  });

  it('exposes defaults and the extensions list', () => {
    const layer = new RecordingLayer();
    expect([layer.expiry, layer.groupExpiry, layer.capacityOf('any')]).toEqual([60, 86_400, 100]);
    expect(layer.extensions).toEqual(['groups', 'flush']);
  });
});
