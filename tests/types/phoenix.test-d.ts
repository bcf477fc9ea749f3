/**
 * Type-level tests for Phoenix channels (checked by `tsc --noEmit`): typed
 * pushes and broadcasts, narrowing in handleIn, typed assigns and replies.
 */
import { expectTypeOf } from 'expect-type';
import { Channel, type EventArgs, type SocketInfo } from '../../src/phoenix/channel';
import { channel } from '../../src/phoenix/channel-route';
import { phoenixSocket } from '../../src/phoenix/phoenix-socket';
import { Reply, type ChannelReply } from '../../src/phoenix/reply';
import { sinceFromPayload, type RecoveryReply } from '../../src/phoenix/history';
import type { HistoryPosition } from '../../src/layers/history';

type In = { new_msg: { body: string }; typing: { on: boolean } };
type Out = { new_msg: { body: string; name: string }; presence_state: Record<string, unknown> };
type Assigns = { name: string };

// ---- EventArgs is the union of [event, payload] pairs
expectTypeOf<EventArgs<In>>().toEqualTypeOf<['new_msg', { body: string }] | ['typing', { on: boolean }]>();

// ---- Reply makers carry status and response
expectTypeOf(Reply.ok({ a: 1 })).toEqualTypeOf<ChannelReply<'ok', { a: number }>>();
expectTypeOf(Reply.error({ reason: 'x' })).toEqualTypeOf<ChannelReply<'error', { reason: string }>>();

class Room extends Channel<In, Out, Assigns> {
  override join(topic: string, _payload: unknown, socket: SocketInfo<Assigns>) {
    expectTypeOf(socket.assigns.name).toEqualTypeOf<string>();
    return topic === 'room:lobby' ? Reply.ok() : Reply.error({ reason: 'unauthorized' });
  }

  override async handleIn(...[event, payload]: EventArgs<In>) {
    if (event === 'new_msg') {
      // narrowed by the event
      expectTypeOf(payload).toEqualTypeOf<{ body: string }>();
      await this.broadcast('new_msg', { body: payload.body, name: this.socket.assigns.name });
      // @ts-expect-error: the payload must match the Out map
      await this.broadcast('new_msg', { body: 1 });
      // @ts-expect-error: an event not in the Out map
      await this.push('nope', {});
      return Reply.ok();
    }
    expectTypeOf(payload).toEqualTypeOf<{ on: boolean }>();
    return undefined;
  }
}

// ---- routes and sockets
channel('room:*', Room);
phoenixSocket<Assigns>({
  connect: (params) => (typeof params.name === 'string' ? { name: params.name } : false),
  id: ({ assigns }) => {
    expectTypeOf(assigns).toEqualTypeOf<Assigns>();
    return `user:${assigns.name}`;
  },
  channels: [channel('room:*', Room)],
});
phoenixSocket<Assigns>({
  // @ts-expect-error: connect must return the assigns type (or false/null)
  connect: () => ({ nombre: 'x' }),
  channels: [],
});

// ---- Recovery: since from a join payload, recoverHistory's options, the reply's added fields

expectTypeOf(sinceFromPayload).parameters.toEqualTypeOf<[payload: unknown, key?: string]>();
expectTypeOf(sinceFromPayload({})).toEqualTypeOf<HistoryPosition | null>();
expectTypeOf<RecoveryReply>().toEqualTypeOf<{ recovered: boolean; epoch: string; offset: number }>();
class Recovering extends Channel {
  override join(_topic: string, payload: unknown) {
    this.recoverHistory({ since: sinceFromPayload(payload), last: 50 });
    // @ts-expect-error last is a number
    this.recoverHistory({ last: '50' });
    return Reply.ok();
  }
}
void Recovering;
