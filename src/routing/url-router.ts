/**
 * URL routing: `path()` and `rePath()` declare routes, `URLRouter` tries them
 * in order. Resolution is a pure step that runs before any application does,
 * so a miss in a nested router lets the outer router try its next route, and
 * a RouteNotFound thrown later by application code is never mistaken for one.
 */
import type { Application, ConsumerClass, HttpScope, Receive, Scope, Send, UrlRoute, WebsocketScope } from '../application';
import { InvalidRoutePattern, RouteNotFound } from '../errors';
import { URL_ROUTER } from '../symbols';
import { returnedFunction, routeApplication } from './route-application';
import { recordRoute } from '../metrics/connection-tag';
import type { PathParams, RoutedScope } from './path-params';
import { compilePathPattern, compileRegexPattern, stripLeadingSlash, type CompiledPattern } from './patterns';

/** A handler that declares the routed scope; its kwargs type must match the pattern's. */
export type RouteHandler<K> = (scope: RoutedScope<K>, receive: Receive, send: Send) => Promise<void>;

/**
 * What a route may lead to: a consumer class (its `asApp()` is called for
 * you), a routed handler, or any Application (also one typed for websocket or
 * http only). Anything else is refused by `path()`/`rePath()` with
 * NotAnApplication; the rule is in the routing docs.
 */
export type RouteApplication<K> = ConsumerClass | RouteHandler<K> | Application<WebsocketScope> | Application<HttpScope>;

/** Type-only key carrying a route's kwargs type. */
declare const KWARGS: unique symbol;

/** One entry of a URLRouter, made by `path()` or `rePath()`. */
export interface Route<K = Record<string, unknown>> {
  readonly pattern: CompiledPattern;
  readonly application: Application;
  /** Optional name, for introspection. */
  readonly name: string | undefined;
  /** Type only: the kwargs this route's pattern yields. */
  readonly [KWARGS]?: K;
}

/** Options for `path()` and `rePath()`. */
export interface RouteOptions {
  /** A name for the route (introspection and messages only). */
  name?: string;
}

/** The outcome of resolving a scope against a router: the leaf application and its scope. */
export interface ResolvedRoute {
  application: Application;
  scope: Scope;
  /** The matched route's pattern as written (nested routers' patterns joined), e.g. `ws/chat/<room>/`. */
  pattern: string;
}

/** A URLRouter: an application that can also resolve a scope without running anything. */
export interface UrlRouterApplication extends Application {
  /** The routes, in the order they are tried. */
  readonly routes: readonly Route[];
  /**
   * Finds the application for `scope` (matching `scope.pathRemaining ?? scope.path`)
   * and the scope it will be called with, or `null` when nothing matches.
   */
  resolve(scope: Scope): ResolvedRoute | null;
}

const ROUTER = URL_ROUTER;

function isRouter(application: unknown): application is UrlRouterApplication {
  return typeof application === 'function' && (application as unknown as Record<symbol, unknown>)[ROUTER] === true;
}

/**
 * A route with Django's converter syntax: `<name>` (str), `<int:id>`,
 * `<slug:s>`, `<uuid:u>`, `<path:p>`, or any registered converter. Values are
 * typecast and land in `scope.urlRoute.kwargs`, typed from the pattern.
 * Routing to a URLRouter matches the pattern as a prefix; otherwise the
 * pattern must match the whole remaining path. A leading '/' is optional.
 *
 * The application may be a consumer class (`ChatConsumer`, the same as
 * `ChatConsumer.asApp()`), or an application function. A value that is
 * neither (a plain class, an express app, a function of more than three
 * parameters, an uncalled `asApp`) throws NotAnApplication here.
 *
 * @example
 * path('ws/chat/<roomName>/', ChatConsumer)
 * path('ws/admin/', AdminConsumer.asApp({ strict: true }))
 * path('ws/items/<int:id>/', async (scope, receive, send) => {
 *   const id: number = scope.urlRoute.kwargs.id;
 * })
 */
export function path<P extends string>(
  pattern: P,
  application: RouteHandler<PathParams<P>>,
  options?: RouteOptions,
): Route<PathParams<P>>;
export function path<P extends string>(
  pattern: P,
  application: ConsumerClass | Application<WebsocketScope> | Application<HttpScope>,
  options?: RouteOptions,
): Route<PathParams<P>>;
export function path<P extends string>(
  pattern: P,
  application: RouteApplication<PathParams<P>>,
  options: RouteOptions = {},
): Route<PathParams<P>> {
  const app = routeApplication(application, `path(${JSON.stringify(pattern)})`);
  return { pattern: compilePathPattern(pattern, isRouter(app)), application: app, name: options.name };
}

/**
 * A route with a regular expression: named groups become kwargs (strings);
 * without named groups, unnamed groups become args. Anchored at the start of
 * the remaining path; end it with `$` to require a whole-path match. The
 * application is checked as for `path()`.
 *
 * @example
 * rePath(/^ws\/chat\/(?<roomName>\w+)\/$/, ChatConsumer)
 */
export function rePath(
  pattern: RegExp | string,
  application: RouteApplication<Record<string, unknown>>,
  options: RouteOptions = {},
): Route {
  const app = routeApplication(application, `rePath(${String(pattern)})`);
  return { pattern: compileRegexPattern(pattern), application: app, name: options.name };
}

function pathOf(scope: Scope): string | undefined {
  if (scope.type === 'channel') return undefined;
  const remaining = scope.pathRemaining;
  return typeof remaining === 'string' ? remaining : scope.path;
}

/**
 * Routes a connection by its path. The first matching route wins; its
 * application is called with a copy of the scope that adds `urlRoute`
 * (`args` appended to, and `kwargs` merged over, an outer router's) and
 * `pathRemaining`. No match throws RouteNotFound (a 404 handshake refusal).
 *
 * @example
 * const websocket = URLRouter([
 *   path('ws/chat/', URLRouter([path('<roomName>/', ChatConsumer.asApp())])),
 *   path('ws/echo/', EchoConsumer.asApp()),
 * ]);
 */
export function URLRouter(routes: ReadonlyArray<Route<any>>): UrlRouterApplication {
  if (!Array.isArray(routes)) throw new InvalidRoutePattern('URLRouter expects an array of path()/rePath() routes');
  const table: readonly Route[] = Object.freeze(
    routes.map((route, index) => {
      if (!route || typeof route.pattern?.match !== 'function') {
        throw new InvalidRoutePattern(`URLRouter: entry ${index} is not a route; build entries with path() or rePath()`);
      }
      return route as Route;
    }),
  );

  function resolve(scope: Scope): ResolvedRoute | null {
    const full = pathOf(scope);
    if (full === undefined) return null;
    const target = stripLeadingSlash(full);
    const outer = scope.urlRoute as UrlRoute | undefined;
    for (const route of table) {
      const found = route.pattern.match(target);
      if (found === null) continue;
      const urlRoute: UrlRoute = outer
        ? { args: outer.args.concat(found.args), kwargs: { ...outer.kwargs, ...found.kwargs } }
        : // As matched: a fresh list, or the shared frozen empty one (not a copy per connection).
          { args: found.args, kwargs: found.kwargs };
      // Not `{ ...scope, urlRoute, ... }`: V8's optimized spread followed by new
      // keys gives every copy a hidden class of its own (~0.4 KB per connection).
      const routed = Object.assign({}, scope, { urlRoute, pathRemaining: found.rest }) as Scope;
      if (isRouter(route.application)) {
        const inner = route.application.resolve(routed);
        if (inner !== null) return { ...inner, pattern: route.pattern.source + inner.pattern };
        continue;
      }
      return { application: route.application, scope: routed, pattern: route.pattern.source };
    }
    return null;
  }

  // Not `async`: the inner application's promise is returned as is, so a
  // connection does not hold one more pending promise for its whole life.
  const router = function urlRouter(scope: Scope, receive: Receive, send: Send): Promise<void> {
    try {
      const resolved = resolve(scope);
      if (resolved === null) throw new RouteNotFound(pathOf(scope) ?? `(scope type ${scope.type})`);
      // Metrics label connections by pattern, never by path; a router nested behind middleware appends its part.
      recordRoute(scope, resolved.pattern, scope.urlRoute !== undefined);
      const result: unknown = resolved.application(resolved.scope, receive, send);
      if (typeof result === 'function') throw returnedFunction(`route for ${JSON.stringify(pathOf(scope))}`, result);
      return Promise.resolve(result as Promise<void>);
    } catch (error) {
      return Promise.reject(error);
    }
  } as UrlRouterApplication;

  Object.defineProperties(router, {
    [ROUTER]: { value: true },
    routes: { value: table, enumerable: true },
    resolve: { value: resolve, enumerable: true },
  });
  return router;
}

/**
 * The route kwargs of a routed scope, typed from the pattern.
 *
 * @example
 * const { roomName, id } = routeKwargs<'chat/<roomName>/<int:id>/'>(this.scope);
 */
export function routeKwargs<P extends string>(scope: Scope | { urlRoute?: unknown }): PathParams<P> {
  return (((scope as { urlRoute?: UrlRoute }).urlRoute)?.kwargs ?? {}) as PathParams<P>;
}
