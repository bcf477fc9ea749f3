/**
 * What `phoenixSocket()` is configured with: Phoenix's `UserSocket` module
 * (`connect/3`, `id/1`, the `channel` routes) as an options object.
 */
import { InvalidOption } from '../errors';
import { positiveOption } from '../option-checks';
import type { ConnectInfo } from './channel';
import type { ChannelRoute } from './channel-route';

/** What `connect` may return: assigns (an object) to admit, or `false`/`null` to refuse with 403. */
export type ConnectResult<A> = A | false | null;

/** Options of the long-poll transport. */
export interface LongPollOptions {
  /**
   * How long a GET is held open when there is nothing to send, in ms; also
   * how long a session lives without a poll. Default 10 000. Must stay under
   * phoenix.js' `longpollerTimeout` (20 000 by default).
   */
  windowMs?: number;
  /** Largest POST body, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Frames a session buffers for a client that has not polled; past it the session ends (the client reconnects). Default 1024. */
  maxBufferedMessages?: number;
  /** Frames per second a session may post (a token bucket, burst = the rate). Default unlimited. */
  messagesPerSecond?: number;
}

/** Options of `phoenixSocket()`. `A` is the type of the assigns `connect` returns. */
export interface PhoenixSocketOptions<A = Record<string, unknown>> {
  /** Topic routes, first match wins: `[channel('room:*', RoomChannel)]`. */
  channels: readonly ChannelRoute[];
  /**
   * Authorize a connection from its params (the query string; phoenix.js
   * `params`) and connect info. Return the assigns to admit it, `false` or
   * `null` to refuse with HTTP 403 before the upgrade (long-poll: `{status:
   * 403}`); a thrown error refuses with 403 too and is logged. Default: admit
   * everyone with `{}`.
   */
  connect?(params: Record<string, unknown>, connectInfo: ConnectInfo): ConnectResult<A> | Promise<ConnectResult<A>>;
  /**
   * The socket's id, e.g. `user_socket:${assigns.userId}`, or null for an
   * anonymous socket. `broadcast(id, 'disconnect', {})` closes every socket
   * with that id, in every process. Default: null.
   */
  id?(socket: { assigns: A; params: Record<string, unknown> }): string | null;
  /** Alias of the channel layer (see `configureChannelLayers`). Default `'default'`. */
  layerAlias?: string;
  /** Most topics one socket may join at once; past it a join gets `{reason: 'too many channels joined'}`. Default 100. */
  maxChannels?: number;
  /** The long-poll transport at `<path>/longpoll`, or `false` to serve WebSocket only. Default on. */
  longpoll?: LongPollOptions | false;
}

/** The options with defaults applied and checked. */
export interface ResolvedSocketOptions {
  channels: readonly ChannelRoute[];
  connect: (params: Record<string, unknown>, info: ConnectInfo) => unknown;
  id: (socket: { assigns: any; params: Record<string, unknown> }) => string | null;
  layerAlias: string;
  maxChannels: number;
  longpoll: Required<LongPollOptions> | null;
}

/** Apply defaults and check every option, naming the wrong one. */
export function resolveSocketOptions<A>(options: PhoenixSocketOptions<A>): ResolvedSocketOptions {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.channels)) {
    throw new InvalidOption("phoenixSocket(): options.channels must be an array of channel('topic:*', SomeChannel) routes");
  }
  for (const route of options.channels) {
    if (route === null || typeof route !== 'object' || typeof (route as ChannelRoute).matches !== 'function') {
      throw new InvalidOption("phoenixSocket(): every entry of options.channels must come from channel('topic:*', SomeChannel)");
    }
  }
  for (const name of ['connect', 'id'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidOption(`phoenixSocket(): options.${name} must be a function`);
    }
  }
  const lp = options.longpoll;
  return {
    channels: [...options.channels],
    connect: (options.connect as ResolvedSocketOptions['connect'] | undefined) ?? (() => ({})),
    id: (options.id as ResolvedSocketOptions['id'] | undefined) ?? (() => null),
    layerAlias: options.layerAlias ?? 'default',
    maxChannels: positiveOption(options.maxChannels ?? 100, 'phoenixSocket(): options.maxChannels'),
    longpoll:
      lp === false
        ? null
        : {
            windowMs: positiveOption(lp?.windowMs ?? 10_000, 'phoenixSocket(): options.longpoll.windowMs', 'milliseconds'),
            maxBodyBytes: positiveOption(lp?.maxBodyBytes ?? 1024 * 1024, 'phoenixSocket(): options.longpoll.maxBodyBytes'),
            maxBufferedMessages: positiveOption(lp?.maxBufferedMessages ?? 1024, 'phoenixSocket(): options.longpoll.maxBufferedMessages'),
            messagesPerSecond:
              lp?.messagesPerSecond === undefined
                ? Infinity
                : positiveOption(lp.messagesPerSecond, 'phoenixSocket(): options.longpoll.messagesPerSecond'),
          },
  };
}
