/**
 * `phoenixSocket(options)`: the Phoenix endpoint socket as a Switchyard
 * application. Mount it with `path('socket/', phoenixSocket({...}))` under the
 * websocket side of the ProtocolTypeRouter (and the http side too, for
 * long-poll); it serves `<path>/websocket` and `<path>/longpoll`.
 */
import type { Application, HttpScope, WebsocketScope } from '../application';
import { RouteNotFound } from '../errors';
import { URLRouter, path } from '../routing/url-router';
import { LongPollTransport } from './long-poll';
import { PhoenixConnection } from './socket-connection';
import { resolveSocketOptions, type PhoenixSocketOptions } from './socket-options';

/**
 * A Phoenix socket: phoenix.js connects to it with `new Socket('/socket')`.
 * Connections run through the server's limits and the middleware around it
 * (origin checks, rate limits) like any consumer; topics are groups on the
 * channel layer named by `layerAlias`, so broadcasts reach every process.
 *
 * @example
 * const socket = phoenixSocket({
 *   connect: (params) => (typeof params.token === 'string' ? { userId: verify(params.token) } : false),
 *   id: ({ assigns }) => `user_socket:${assigns.userId}`,
 *   channels: [channel('room:*', RoomChannel)],
 * });
 * const app = ProtocolTypeRouter({
 *   websocket: URLRouter([path('socket/', socket)]),
 *   http: URLRouter([path('socket/', socket), rePath('', nodeHandler(expressApp))]),
 * });
 */
export function phoenixSocket<A = Record<string, unknown>>(options: PhoenixSocketOptions<A>): Application {
  const resolved = resolveSocketOptions(options);
  const Connection = class extends PhoenixConnection {
    static override channelLayerAlias = resolved.layerAlias;
  };
  const websocket = Connection.asApp({ options: resolved });
  const longpoll = resolved.longpoll === null ? null : new LongPollTransport(websocket, resolved.longpoll);
  const notFound = (scope: { path: string }): Promise<void> => Promise.reject(new RouteNotFound(scope.path));
  // A URLRouter, so that `path('socket/', ...)` matches it as a prefix.
  return URLRouter([
    path('websocket', (scope, receive, send) =>
      scope.type === 'websocket' ? websocket(scope as WebsocketScope, receive, send) : notFound(scope),
    ),
    path('longpoll', (scope, receive, send) =>
      scope.type === 'http' && longpoll !== null ? longpoll.handle(scope as HttpScope, receive, send) : notFound(scope),
    ),
  ]);
}
