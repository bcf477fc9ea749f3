/**
 * Channels and a socket for the Phoenix tests: a room channel with one event
 * per behaviour under test, and a user socket whose connect checks a token.
 */
import {
  Channel,
  Reply,
  channel,
  phoenixSocket,
  sendInfo,
  type EventArgs,
  type PhoenixSocketOptions,
  type SocketInfo,
  type TerminateReason,
} from '../../src/index';

export type Assigns = { user: string };

type RoomIn = {
  new_msg: { body: string };
  ping: Record<string, unknown>;
  refuse: Record<string, unknown>;
  noreply: Record<string, unknown>;
  boom: Record<string, unknown>;
  push_me: { value: unknown };
  from_me: { body: string };
  censored: { body: string };
  binary: Uint8Array;
  info_me: { value: string };
  stop_me: Record<string, unknown>;
};
type RoomOut = {
  new_msg: { body: string; user: string };
  pushed: { value: unknown };
  from_me: { body: string };
  censored: { body: string };
  info: { value: unknown };
  binary: Uint8Array;
};

/** Every `terminate` call, for assertions: `[topic, reason]`. */
export const terminations: Array<[string, TerminateReason['reason']]> = [];

export class RoomChannel extends Channel<RoomIn, RoomOut, Assigns> {
  static override intercepts = ['censored'];

  override join(topic: string, payload: any, socket: SocketInfo<Assigns>) {
    if (topic.startsWith('room:private')) return Reply.error({ reason: 'unauthorized' });
    if (payload?.crash === true) throw new Error('join crashed on purpose');
    return Reply.ok({ topic, user: socket.assigns.user, echo: payload ?? null });
  }

  override async handleIn(...[event, payload]: EventArgs<RoomIn>) {
    switch (event) {
      case 'new_msg':
        await this.broadcast('new_msg', { body: payload.body, user: this.socket.assigns.user });
        return Reply.ok();
      case 'ping':
        return Reply.ok({ pong: payload });
      case 'refuse':
        return Reply.error({ reason: 'refused' });
      case 'noreply':
        return undefined;
      case 'boom':
        throw new Error('handleIn crashed on purpose');
      case 'push_me':
        await this.push('pushed', { value: payload.value });
        return undefined;
      case 'from_me':
        await this.broadcastFrom('from_me', { body: payload.body });
        return Reply.ok();
      case 'censored':
        await this.broadcast('censored', { body: payload.body });
        return Reply.ok();
      case 'binary':
        // A binary push is echoed as a binary push and a binary reply.
        await this.push('binary', new Uint8Array(payload).reverse());
        return Reply.ok(new Uint8Array(payload));
      case 'info_me':
        await sendInfo(this.socket.channelName, this.topic, { value: payload.value }, layerAlias);
        return Reply.ok();
      case 'stop_me':
        await this.leave();
        return undefined;
    }
    return undefined;
  }

  override handleOut(...[event, payload]: EventArgs<RoomOut>) {
    if (event === 'censored') {
      if (String(payload.body).includes('secret')) return; // filtered for every subscriber
      return this.push('censored', { body: `${payload.body} (seen by ${this.socket.assigns.user})` });
    }
    return this.push(event, payload as never);
  }

  override handleInfo(message: any) {
    return this.push('info', { value: message.value });
  }

  override terminate(reason: TerminateReason) {
    terminations.push([this.topic, reason.reason]);
  }
}

/** A topic every user may join, whose channel has no handlers of its own. */
export class QuietChannel extends Channel {
  override join() {
    return Reply.ok();
  }
}

let layerAlias = 'default';

/** The socket options the tests use: `token=<user>` admits `<user>`, `token=bad` or none is refused. */
export function userSocketOptions(overrides: Partial<PhoenixSocketOptions<Assigns>> = {}): PhoenixSocketOptions<Assigns> {
  layerAlias = overrides.layerAlias ?? 'default';
  return {
    connect(params) {
      const token = params.token;
      if (typeof token !== 'string' || token === '' || token === 'bad') return false;
      if (token === 'throw') throw new Error('connect crashed on purpose');
      return { user: token };
    },
    id: ({ assigns }) => `user_socket:${assigns.user}`,
    channels: [channel('room:*', RoomChannel), channel('quiet', QuietChannel)],
    ...overrides,
  };
}

/** The socket application. */
export function userSocket(overrides: Partial<PhoenixSocketOptions<Assigns>> = {}) {
  return phoenixSocket(userSocketOptions(overrides));
}
