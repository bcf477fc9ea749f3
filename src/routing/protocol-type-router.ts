/**
 * The top of an application stack: one branch per scope type. An `http`
 * branch may be a Node `(req, res)` handler such as an express app; the
 * server then hands it the raw request untouched, so express behaves exactly
 * as it would on its own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Application, Receive, Scope, Send } from '../application';
import { InvalidOption, NodeHandlerOnly, UnknownScopeType } from '../errors';
import { NODE_HANDLER_MARK, NODE_HTTP_HANDLER } from '../symbols';

/** A Node-style HTTP handler: express apps, `connect` apps, plain listeners. */
export type NodeHttpHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Where the server finds a router's Node HTTP handler (see symbols.ts). Set on
 * a ProtocolTypeRouter whose `http` branch is an express app or is wrapped
 * with `nodeHandler()`, and (answering 404) on one without an `http` branch.
 */
export { NODE_HTTP_HANDLER };

/**
 * Marks `(req, res)` as a Node HTTP handler for ProtocolTypeRouter's `http`
 * branch (express apps are recognised without it).
 *
 * @example
 * ProtocolTypeRouter({ http: nodeHandler((req, res) => res.end('ok')), websocket })
 */
export function nodeHandler<H extends NodeHttpHandler>(handler: H): H {
  if (typeof handler !== 'function') throw new InvalidOption('nodeHandler(handler): handler must be a (req, res) function');
  Object.defineProperty(handler, NODE_HANDLER_MARK, { value: true });
  return handler;
}

/** An object that looks like an express (or connect) app. */
export interface ExpressLike {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): unknown;
  handle: (...args: any[]) => unknown;
  use: (...args: any[]) => unknown;
}

/** True for express apps and handlers marked with `nodeHandler()`. */
export function isNodeHttpHandler(value: unknown): value is NodeHttpHandler {
  if (typeof value !== 'function') return false;
  const candidate = value as unknown as Record<string | symbol, unknown>;
  return (
    candidate[NODE_HANDLER_MARK] === true ||
    (typeof candidate.handle === 'function' && typeof candidate.use === 'function')
  );
}

/** The branches of a ProtocolTypeRouter. */
export interface ProtocolTypeRoutes {
  /** Plain HTTP: an application (HTTP consumer), an express app, or `nodeHandler(fn)`. */
  http?: Application<any> | ExpressLike | NodeHttpHandler;
  websocket?: Application<any>;
  /** Background channels, usually a ChannelNameRouter (used by `switchyard worker`). */
  channel?: Application<any>;
}

/** A ProtocolTypeRouter: an application plus the Node HTTP handler the server may use. */
export interface ProtocolTypeRouterApplication extends Application {
  readonly [NODE_HTTP_HANDLER]: NodeHttpHandler | undefined;
  /** The scope types this router has branches for. */
  readonly scopeTypes: readonly string[];
}

const notFound: NodeHttpHandler = (req, res) => {
  req.resume();
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '10' });
  res.end('Not Found\n');
};

/**
 * Dispatches on `scope.type` (`http`, `websocket`, `channel`). A type with no
 * branch throws UnknownScopeType. Without an `http` branch the server answers
 * plain HTTP requests with 404.
 *
 * @example
 * const application = ProtocolTypeRouter({
 *   http: expressApp,
 *   websocket: AuthMiddlewareStack(URLRouter([path('ws/chat/<roomName>/', ChatConsumer.asApp())])),
 * });
 */
export function ProtocolTypeRouter(routes: ProtocolTypeRoutes): ProtocolTypeRouterApplication {
  if (routes === null || typeof routes !== 'object') {
    throw new InvalidOption('ProtocolTypeRouter({ http?, websocket?, channel? }) expects an object of applications');
  }
  const table = new Map<string, Application>();
  let node: NodeHttpHandler | undefined = notFound;
  for (const [type, application] of Object.entries(routes)) {
    if (application === undefined) continue;
    if (typeof application !== 'function') {
      throw new InvalidOption(`ProtocolTypeRouter: the ${JSON.stringify(type)} branch must be an application function, got ${typeof application}`);
    }
    if (type === 'http') node = isNodeHttpHandler(application) ? application : undefined;
    table.set(type, application as Application);
  }
  const scopeTypes = Object.freeze([...table.keys()]);

  // Not `async`: the inner application's promise is returned as is, so a
  // connection does not hold one more pending promise for its whole life.
  const router = function protocolTypeRouter(scope: Scope, receive: Receive, send: Send): Promise<void> {
    try {
      const application = table.get(scope.type);
      if (application === undefined) throw new UnknownScopeType(String(scope.type), [...scopeTypes]);
      if (scope.type === 'http' && node !== undefined) throw new NodeHandlerOnly();
      return Promise.resolve(application(scope, receive, send));
    } catch (error) {
      return Promise.reject(error);
    }
  } as ProtocolTypeRouterApplication;

  Object.defineProperties(router, {
    [NODE_HTTP_HANDLER]: { value: node },
    scopeTypes: { value: scopeTypes, enumerable: true },
  });
  return router;
}

/**
 * The Node handler the server should give plain HTTP requests for
 * `application`, or undefined to translate them into http.* events.
 */
export function nodeHttpHandlerOf(application: unknown): NodeHttpHandler | undefined {
  if (isNodeHttpHandler(application)) return application;
  if (typeof application === 'function') {
    return (application as unknown as Record<symbol, NodeHttpHandler | undefined>)[NODE_HTTP_HANDLER];
  }
  return undefined;
}
