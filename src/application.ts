/**
 * The application contract: every piece of Switchyard (server, routers,
 * middleware, consumers) is a function of `(scope, receive, send)`, modelled
 * on ASGI, so pieces nest freely and a test can drive any of them.
 */
import { CONSUMER_CLASS } from './symbols';

/** A `{host, port}` pair for the two ends of a connection. */
export interface Address {
  host: string;
  port: number;
}

/** What URL routers add to the scope: positional and named captures, typecast. */
export interface UrlRoute {
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** Fields shared by every connection scope; middleware and routers only add keys. */
export interface ConnectionScope {
  /** Decoded path, e.g. `/ws/chat/café/`. */
  path: string;
  /** The path as it came on the wire, percent-encoding intact. */
  rawPath: string;
  /** Everything after `?`, undecoded, without the `?`. */
  queryString: string;
  /** Request headers with lower-cased names; repeated headers joined by `, ` (cookies by `; `). */
  headers: Readonly<Record<string, string>>;
  client: Address | null;
  server: Address | null;
  /** Path prefix the application is mounted under (usually ''). */
  rootPath: string;
  /** Filled by CookieMiddleware. */
  cookies?: Record<string, string>;
  /** Filled by SessionMiddleware. */
  session?: unknown;
  /** Filled by AuthMiddleware / TokenAuthMiddleware. */
  user?: unknown;
  /** Filled by URLRouter. */
  urlRoute?: UrlRoute;
  /** What an outer URLRouter left for an inner one to match. */
  pathRemaining?: string;
  /** Keys added by user middleware. */
  [key: string]: unknown;
}

/** Scope of a WebSocket connection. */
export interface WebsocketScope extends ConnectionScope {
  type: 'websocket';
  scheme: 'ws' | 'wss';
  /** Subprotocols the client offered, in its order. */
  subprotocols: string[];
}

/** Scope of a plain HTTP request. */
export interface HttpScope extends ConnectionScope {
  type: 'http';
  scheme: 'http' | 'https';
  method: string;
  httpVersion: string;
}

/** Scope of a background worker reading a named channel (see ChannelNameRouter). */
export interface ChannelScope {
  type: 'channel';
  channel: string;
  [key: string]: unknown;
}

/** Any scope an application can be called with. */
export type Scope = WebsocketScope | HttpScope | ChannelScope;

/** Any event: a string `type` and plain data. Channel layer messages are events too. */
export interface Event {
  type: string;
  [key: string]: unknown;
}

// ---- WebSocket events: in (server -> application) ----

export interface WebsocketConnectEvent {
  type: 'websocket.connect';
}
export interface WebsocketReceiveEvent {
  type: 'websocket.receive';
  text?: string;
  bytes?: Uint8Array;
}
export interface WebsocketDisconnectEvent {
  type: 'websocket.disconnect';
  code: number;
  reason?: string;
}

// ---- WebSocket events: out (application -> server) ----

export interface WebsocketAcceptEvent {
  type: 'websocket.accept';
  subprotocol?: string | null;
  /** Extra response headers for the 101 handshake response. */
  headers?: Array<[string, string]>;
}
export interface WebsocketSendEvent {
  type: 'websocket.send';
  text?: string;
  bytes?: Uint8Array;
}
export interface WebsocketCloseEvent {
  type: 'websocket.close';
  /** Defaults to 1000. Before accept, a close refuses the handshake with 403. */
  code?: number;
  reason?: string;
}
/**
 * Refuse the handshake with an HTTP response of the application's choosing
 * (ASGI's denial-response extension). Only valid before accept.
 */
export interface WebsocketHttpResponseStartEvent {
  type: 'websocket.http.response.start';
  status: number;
  headers?: Array<[string, string]>;
}
export interface WebsocketHttpResponseBodyEvent {
  type: 'websocket.http.response.body';
  body?: Uint8Array;
  moreBody?: boolean;
}

// ---- HTTP events ----

export interface HttpRequestEvent {
  type: 'http.request';
  body: Uint8Array;
  moreBody: boolean;
}
export interface HttpDisconnectEvent {
  type: 'http.disconnect';
}
export interface HttpResponseStartEvent {
  type: 'http.response.start';
  status: number;
  headers?: Array<[string, string]>;
}
export interface HttpResponseBodyEvent {
  type: 'http.response.body';
  body?: Uint8Array;
  moreBody?: boolean;
}

export type WebsocketInputEvent = WebsocketConnectEvent | WebsocketReceiveEvent | WebsocketDisconnectEvent;
export type WebsocketOutputEvent =
  | WebsocketAcceptEvent
  | WebsocketSendEvent
  | WebsocketCloseEvent
  | WebsocketHttpResponseStartEvent
  | WebsocketHttpResponseBodyEvent;
export type HttpInputEvent = HttpRequestEvent | HttpDisconnectEvent;
export type HttpOutputEvent = HttpResponseStartEvent | HttpResponseBodyEvent;

/**
 * True for the protocol's own event types (`websocket.*`, `http.*`): what a
 * client connection sends and receives. Channel layer messages may not use
 * them (a groupSend of `websocket.disconnect` must not run disconnect handlers).
 */
export function isProtocolEvent(type: string): boolean {
  return type.startsWith('websocket.') || type.startsWith('http.');
}

/** Waits for the next event for this application instance. */
export type Receive<E extends Event = Event> = () => Promise<E>;
/** Hands an event to the server (or the enclosing application). */
export type Send<E extends Event = Event> = (event: E) => Promise<void>;

/**
 * The one call shape: servers, routers, middleware and consumers are all
 * applications. It resolves when the connection's work is done.
 *
 * @example
 * const echo: Application = async (scope, receive, send) => {
 *   await receive(); // websocket.connect
 *   await send({ type: 'websocket.accept' });
 *   for (;;) {
 *     const event = await receive();
 *     if (event.type === 'websocket.disconnect') return;
 *     await send({ type: 'websocket.send', text: String(event.text) });
 *   }
 * };
 */
export type Application<S extends Scope = Scope> = (
  scope: S,
  receive: Receive,
  send: Send,
) => Promise<void>;

/** Marks a consumer class (see symbols.ts). */
export { CONSUMER_CLASS };

/** A class a router can turn into an application: it carries `CONSUMER_CLASS` and a static `asApp()`. */
export interface ConsumerClass {
  readonly [CONSUMER_CLASS]: true;
  asApp(): Application;
  prototype: object;
}
