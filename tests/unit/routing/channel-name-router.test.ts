import type { Application, Scope } from '../../../src/application';
import { ChannelNameRouter } from '../../../src/routing/channel-name-router';
import { ApplicationCommunicator } from '../../../src/testing/application-communicator';

const receive = async () => ({ type: 'noop' });
const send = async () => {};

describe('ChannelNameRouter', () => {
  it('routes channel scopes by scope.channel and lists its channels', async () => {
    const calls: string[] = [];
    const thumbnails: Application = async (scope) => {
      calls.push(`thumbnails:${String((scope as { channel: string }).channel)}`);
    };
    const email: Application = async () => {
      calls.push('email');
    };
    const router = ChannelNameRouter({ 'thumbnails-generate': thumbnails, 'email.send': email });
    await router({ type: 'channel', channel: 'thumbnails-generate' }, receive, send);
    await router({ type: 'channel', channel: 'email.send' }, receive, send);
    expect(calls).toEqual(['thumbnails:thumbnails-generate', 'email']);
    expect(router.channelNames).toEqual(['thumbnails-generate', 'email.send']);
  });

  it('passes events through (driven by the ApplicationCommunicator)', async () => {
    const worker: Application = async (_scope, rcv, snd) => {
      const event = await rcv();
      await snd({ type: 'done', for: event.type });
    };
    const comm = new ApplicationCommunicator(ChannelNameRouter({ jobs: worker }), { type: 'channel', channel: 'jobs' });
    await comm.sendInput({ type: 'job.run' });
    expect(await comm.receiveOutput()).toEqual({ type: 'done', for: 'job.run' });
    await comm.wait();
  });

  it('an unknown channel is UnknownChannel, naming the configured ones', async () => {
    const router = ChannelNameRouter({ jobs: async () => {} });
    const call = router({ type: 'channel', channel: 'other' }, receive, send);
    await expect(call).rejects.toMatchObject({ code: 'ERR_UNKNOWN_CHANNEL', channel: 'other' });
    await expect(router({ type: 'channel', channel: 'other' }, receive, send)).rejects.toThrow(/"jobs"/);
  });

  it('any other scope type is UnknownScopeType', async () => {
    const router = ChannelNameRouter({ jobs: async () => {} });
    await expect(router({ type: 'websocket' } as unknown as Scope, receive, send)).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_SCOPE_TYPE',
    });
  });

  it('refuses invalid channel names and non-function applications', () => {
    expect(() => ChannelNameRouter({ 'bad name': async () => {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHANNEL_NAME' }));
    expect(() => ChannelNameRouter({ jobs: 3 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
