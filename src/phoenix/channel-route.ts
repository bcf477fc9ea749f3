/**
 * Topic routing: `channel('room:*', RoomChannel)` sends every topic starting
 * with `room:` to RoomChannel; a pattern without a trailing `*` matches one
 * topic exactly. The first matching route wins, in declaration order.
 */
import { InvalidOption } from '../errors';
import { Channel } from './channel';

/** A channel class (any event maps, any assigns). */
export type ChannelClass = new () => Channel<any, any, any>;

/** One topic route. */
export interface ChannelRoute {
  readonly pattern: string;
  readonly channel: ChannelClass;
  /** True when `topic` is one of this route's topics. */
  matches(topic: string): boolean;
}

/**
 * Route `pattern` (`'room:*'` for a prefix, or one exact topic) to `channelClass`.
 *
 * @example
 * phoenixSocket({ channels: [channel('room:*', RoomChannel), channel('user:*', NotificationChannel)] });
 */
export function channel(pattern: string, channelClass: ChannelClass): ChannelRoute {
  if (typeof pattern !== 'string' || pattern === '' || pattern.indexOf('*') !== (pattern.endsWith('*') ? pattern.length - 1 : -1)) {
    throw new InvalidOption(`channel(): pattern must be a topic or a prefix ending in a single *, e.g. 'room:*', got ${JSON.stringify(pattern)}`);
  }
  if (typeof channelClass !== 'function' || !(channelClass.prototype instanceof Channel)) {
    throw new InvalidOption(`channel(${JSON.stringify(pattern)}): the second argument must be a subclass of Channel`);
  }
  const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : null;
  return {
    pattern,
    channel: channelClass,
    matches: prefix === null ? (topic) => topic === pattern : (topic) => topic.startsWith(prefix),
  };
}

/** The route for `topic`, or undefined. */
export function routeTopic(routes: readonly ChannelRoute[], topic: string): ChannelRoute | undefined {
  for (const route of routes) if (route.matches(topic)) return route;
  return undefined;
}
