/**
 * The Channel: one instance per joined topic per socket, Phoenix's channel
 * callbacks with TypeScript names (`join`, `handleIn`, `handleOut`,
 * `handleInfo`, `terminate`) and its three ways out (`push`, `broadcast`,
 * `broadcastFrom`).
 */
import { InvalidOption } from '../errors';
import type { MessageValue } from '../layers/channel-layer';
import type { ChannelReply } from './reply';
import { Reply } from './reply';
import type { ChannelHistoryOptions } from './history';
import { CHANNEL_CLEANUP, CHANNEL_HISTORY, CHANNEL_LINK } from './symbols';

/**
 * Maps an event name to its payload type. The defaults accept anything.
 *
 * @example
 * type RoomIn = { new_msg: { body: string } };
 * type RoomOut = { new_msg: { body: string; name: string } };
 */
export type ChannelEvents = { [event: string]: any };

/** The permissive default event map. */
export type AnyChannelEvents = { [event: string]: any };

/**
 * The `(event, payload)` pairs of an event map, as a union of tuples: a
 * handler declared `handleIn(...[event, payload]: EventArgs<In>)` narrows
 * `payload` by switching on `event`.
 */
export type EventArgs<M extends ChannelEvents> = { [K in keyof M & string]: [event: K, payload: M[K]] }[keyof M & string];

/** How the socket connected: what `connect` and channels can read about it. */
export interface ConnectInfo {
  /** `websocket` or `longpoll`. */
  transport: 'websocket' | 'longpoll';
  /** Request headers (lower-cased names) of the WebSocket handshake or of the long-poll request that opened the session. */
  headers: Readonly<Record<string, string>>;
  /** The peer address, when known. */
  client: { host: string; port: number } | null;
  /** phoenix.js `authToken` (sent as a WebSocket subprotocol or the `x-phoenix-authtoken` header), when given. */
  authToken?: string;
  /** Scope keys added by middleware (`user`, `session`, ...), as the connection's scope has them. */
  scope: Readonly<Record<string, unknown>>;
}

/** What a channel knows about its socket. */
export interface SocketInfo<A = Record<string, unknown>> {
  /** The socket id from `PhoenixSocketOptions.id`, or null. */
  readonly id: string | null;
  /** What `connect` returned. */
  readonly assigns: A;
  /** The connect params (query string, without `vsn`). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly connectInfo: ConnectInfo;
  /** The socket's own channel on the layer (where `sendInfo` messages go). */
  readonly channelName: string;
  /** The serializer version the client speaks. */
  readonly vsn: string;
}

/** Why a channel ended, as `terminate` is told. */
export type TerminateReason =
  | { reason: 'leave' }
  | { reason: 'closed' }
  | { reason: 'rejoin' }
  | { reason: 'error'; error: unknown }
  | { reason: 'stop' };

/** What `join` may return: a reply, or nothing for `Reply.ok({})`. */
export type JoinResult = ChannelReply | void | undefined;
/** What `handleIn` may return: a reply, or nothing for no reply. */
export type HandleInResult = ChannelReply | void | undefined;

/** The connection's side of a channel: internal. */
export interface ChannelLink {
  push(event: string, payload: unknown): Promise<void>;
  broadcast(event: string, payload: MessageValue, skipSelf: boolean): Promise<void>;
  leave(): Promise<void>;
}

/**
 * A Phoenix channel. Subclass it, route topics to it with
 * `channel('room:*', RoomChannel)`, and override the callbacks you need.
 * Every callback of one socket runs one at a time, in arrival order.
 * A callback that throws crashes this channel only: the client gets
 * `phx_error` for the topic (phoenix.js rejoins on its own), `terminate`
 * runs with `{reason: 'error'}`, and the socket's other topics carry on.
 *
 * `In` types the events the client pushes, `Out` the events this channel
 * pushes and broadcasts, `A` the socket assigns.
 *
 * @example
 * class RoomChannel extends Channel<{ new_msg: { body: string } }, { new_msg: { body: string } }> {
 *   static override intercepts = ['new_msg'];
 *   override join(topic: string) {
 *     return topic === 'room:lobby' ? Reply.ok() : Reply.error({ reason: 'unauthorized' });
 *   }
 *   override async handleIn(...[event, payload]: EventArgs<{ new_msg: { body: string } }>) {
 *     if (event === 'new_msg') await this.broadcast('new_msg', { body: payload.body });
 *     return Reply.ok();
 *   }
 * }
 */
export class Channel<In extends ChannelEvents = AnyChannelEvents, Out extends ChannelEvents = AnyChannelEvents, A = Record<string, unknown>> {
  /** Broadcast events that go through `handleOut` per subscriber instead of straight to the client. Default none. */
  static intercepts: readonly string[] = [];

  /** The joined topic, e.g. `room:lobby`. */
  topic = '';
  /** The join's `join_ref`. */
  joinRef: string | null = null;
  /** The socket this channel runs on. */
  socket!: SocketInfo<A>;
  /** @internal */
  [CHANNEL_LINK]: ChannelLink | null = null;
  /** @internal */
  [CHANNEL_CLEANUP]: Array<() => void | Promise<void>> = [];
  /** @internal */
  [CHANNEL_HISTORY]: ChannelHistoryOptions | null = null;

  /**
   * Authorize the join of `topic` with the client's `payload`. Return
   * `Reply.ok(response?)` (or nothing) to admit, `Reply.error(response)` to
   * refuse. Default: refuses with `{reason: 'unauthorized'}`, so a channel
   * admits no one until it says so.
   */
  join(topic: string, payload: unknown, socket: SocketInfo<A>): JoinResult | Promise<JoinResult> {
    return Reply.error({ reason: 'unauthorized' });
  }

  /**
   * Call from `join()`: this join recovers what the client missed. The topic
   * must have history on the layer (its group, `topicGroup(topic)`, matches a
   * `history` pattern). After the join reply, and before any live broadcast,
   * the client gets every retained broadcast after `since` (when its epoch is
   * current), or else the newest `last` (default 0), as ordinary pushes, in
   * order, none twice and none missing. The reply's response gets
   * `{recovered, epoch, offset}` added (see docs/recovery.md).
   *
   * @example
   * override join(topic: string, payload: unknown) {
   *   this.recoverHistory({ since: sinceFromPayload(payload), last: 50 });
   *   return Reply.ok();
   * }
   */
  recoverHistory(options: ChannelHistoryOptions = {}): void {
    const last = options.last ?? 0;
    if (!Number.isSafeInteger(last) || last < 0) throw new InvalidOption(`recoverHistory last must be a whole number >= 0, got ${String(last)}`);
    this[CHANNEL_HISTORY] = { since: options.since ?? null, last };
  }

  /** Runs after the join reply went out: the place to push initial state (e.g. `presence_state`). */
  afterJoin(): void | Promise<void> {}

  /**
   * A push from the client. Return `Reply.ok(...)` / `Reply.error(...)` to
   * reply, nothing for no reply. Default: no reply.
   */
  handleIn(...args: EventArgs<In>): HandleInResult | Promise<HandleInResult> {
    return undefined;
  }

  /** An intercepted broadcast, once per subscriber. Default: pushes it unchanged. */
  handleOut(...args: EventArgs<Out>): void | Promise<void> {
    return this.push(args[0], args[1]);
  }

  /**
   * A message for this channel through the layer: what `sendInfo` sent to
   * this topic, or any other message sent to the socket's `channelName`
   * (every channel of the socket gets those). Default: ignored.
   */
  handleInfo(message: unknown): void | Promise<void> {}

  /** The channel ends: the client left, the socket closed, the topic was joined again, or a callback threw. */
  terminate(reason: TerminateReason): void | Promise<void> {}

  /** Push `event` to this client only. A no-op once the channel has ended. */
  push<K extends keyof Out & string>(event: K, payload: Out[K]): Promise<void> {
    const link = this[CHANNEL_LINK];
    return link === null ? Promise.resolve() : link.push(event, payload);
  }

  /** Broadcast to every subscriber of this topic, this client included, in every process. */
  broadcast<K extends keyof Out & string>(event: K, payload: Out[K]): Promise<void> {
    const link = this[CHANNEL_LINK];
    return link === null ? Promise.resolve() : link.broadcast(event, payload as MessageValue, false);
  }

  /** Broadcast to every subscriber of this topic except this socket. */
  broadcastFrom<K extends keyof Out & string>(event: K, payload: Out[K]): Promise<void> {
    const link = this[CHANNEL_LINK];
    return link === null ? Promise.resolve() : link.broadcast(event, payload as MessageValue, true);
  }

  /** End this channel from the server side: `terminate({reason: 'stop'})`, then `phx_close` to the client. */
  leave(): Promise<void> {
    const link = this[CHANNEL_LINK];
    return link === null ? Promise.resolve() : link.leave();
  }
}
