/**
 * Type-level tests for routing (checked by `tsc`, not run by jest): route
 * kwargs are inferred from path() patterns.
 */
import { expectTypeOf } from 'expect-type';
import type { Application, ConsumerClass, Receive, Send, WebsocketScope } from '../../src/application';
import { JsonWebsocketConsumer } from '../../src/consumers/json-websocket-consumer';
import { WebsocketConsumer } from '../../src/consumers/websocket-consumer';
import type { PathParams, RoutedScope } from '../../src/routing/path-params';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path, rePath, routeKwargs, type Route, type RouteApplication } from '../../src/routing/url-router';

declare const anyApp: Application;

// ---- PathParams
expectTypeOf<PathParams<'chat/<roomName>/<int:id>/'>>().toEqualTypeOf<{ roomName: string; id: number }>();
expectTypeOf<PathParams<'<slug:s>/<uuid:u>/<path:p>/<str:x>'>>().toEqualTypeOf<{ s: string; u: string; p: string; x: string }>();
expectTypeOf<PathParams<'static/'>>().toEqualTypeOf<{}>();
expectTypeOf<PathParams<'<year4:y>/'>>().toEqualTypeOf<{ y: unknown }>();
expectTypeOf<PathParams<string>>().toEqualTypeOf<Record<string, unknown>>();

// ---- path(): an inline handler sees typed kwargs
path('chat/<roomName>/<int:id>/', async (scope) => {
  expectTypeOf(scope.urlRoute.kwargs).toEqualTypeOf<{ roomName: string; id: number }>();
  expectTypeOf(scope.urlRoute.kwargs.id).toBeNumber();
  expectTypeOf(scope.pathRemaining).toBeString();
  // @ts-expect-error: no such parameter in the pattern
  void scope.urlRoute.kwargs.room;
});

// Any Application fits a route, and so does a handler declaring a narrower routed scope.
path('echo/', anyApp);
path('items/<int:id>/', async (scope: RoutedScope<{ id: number }>) => {
  void scope;
});
path('ws/', async (scope: WebsocketScope) => {
  void scope;
});

// A handler expecting the wrong kwarg type is refused.
// @ts-expect-error: id is a number for <int:id>
path('items/<int:id>/', async (scope: RoutedScope<{ id: string }>) => {
  void scope;
});

// ---- routeKwargs()
declare const someScope: WebsocketScope;
expectTypeOf(routeKwargs<'room/<name>/<int:n>/'>(someScope)).toEqualTypeOf<{ name: string; n: number }>();

// ---- routers compose into applications
const router = URLRouter([path('a/', anyApp), rePath(/^b\/$/, anyApp), path('c/', URLRouter([path('<x>/', anyApp)]))]);
expectTypeOf(router).toMatchTypeOf<Application>();
ProtocolTypeRouter({ websocket: router });
// @ts-expect-error: a branch must be an application
ProtocolTypeRouter({ websocket: 'not an app' });

// ---- path()/rePath() take a consumer class, its asApp(), or an application function
class ChatConsumer extends JsonWebsocketConsumer {}
class EchoConsumer extends WebsocketConsumer {}
class Plain {
  async connect(): Promise<void> {}
}
expectTypeOf(ChatConsumer).toMatchTypeOf<ConsumerClass>();
expectTypeOf(ChatConsumer).toMatchTypeOf<RouteApplication<{ room: string }>>();
expectTypeOf(path('ws/chat/<room>/', ChatConsumer)).toEqualTypeOf<Route<{ room: string }>>();
path('ws/chat/<room>/', ChatConsumer.asApp());
rePath(/^ws\/echo\/$/, EchoConsumer);
rePath(/^ws\/echo\/$/, EchoConsumer.asApp());
URLRouter([path('ws/a/', ChatConsumer), path('ws/b/', EchoConsumer), path('ws/c/', anyApp)]);

// @ts-expect-error: a class that is not a consumer
path('ws/', Plain);
// @ts-expect-error: a class that is not a consumer
rePath('^ws/$', Plain);
// @ts-expect-error: asApp without the call is a factory, not an application
path('ws/', ChatConsumer.asApp);
// @ts-expect-error: a function returning a class is not an application
path('ws/', () => ChatConsumer);
// @ts-expect-error: an application takes (scope, receive, send), not four parameters
path('ws/', async (scope: WebsocketScope, receive: Receive, send: Send, extra: string) => void [scope, receive, send, extra]);
// @ts-expect-error: not a function at all
path('ws/', 'ChatConsumer');
