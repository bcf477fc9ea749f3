/**
 * Routing for background workers: scopes of type `channel` go to the
 * application registered for `scope.channel`.
 */
import type { Application, Receive, Scope, Send } from '../application';
import { InvalidOption, UnknownChannel, UnknownScopeType } from '../errors';
import { assertChannelName } from '../layers/names';

/** A ChannelNameRouter: an application that also lists the channels it serves. */
export interface ChannelNameRouterApplication extends Application {
  /** The channel names a worker should read, in declaration order. */
  readonly channelNames: readonly string[];
}

/**
 * Dispatches `channel` scopes by `scope.channel`; an unknown channel throws
 * UnknownChannel, any other scope type UnknownScopeType.
 *
 * @example
 * ProtocolTypeRouter({
 *   channel: ChannelNameRouter({ 'thumbnails-generate': ThumbnailConsumer.asApp() }),
 * });
 */
export function ChannelNameRouter(channels: Record<string, Application<any>>): ChannelNameRouterApplication {
  if (channels === null || typeof channels !== 'object') {
    throw new InvalidOption('ChannelNameRouter({ channelName: application }) expects an object');
  }
  const table = new Map<string, Application>();
  for (const [name, application] of Object.entries(channels)) {
    assertChannelName(name);
    if (typeof application !== 'function') {
      throw new InvalidOption(`ChannelNameRouter: the application for channel ${JSON.stringify(name)} must be a function`);
    }
    table.set(name, application as Application);
  }
  const channelNames = Object.freeze([...table.keys()]);

  const router = async function channelNameRouter(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type !== 'channel') throw new UnknownScopeType(String(scope.type), ['channel']);
    const application = table.get(scope.channel);
    if (application === undefined) throw new UnknownChannel(String(scope.channel), [...channelNames]);
    return application(scope, receive, send);
  } as ChannelNameRouterApplication;

  Object.defineProperty(router, 'channelNames', { value: channelNames, enumerable: true });
  return router;
}
