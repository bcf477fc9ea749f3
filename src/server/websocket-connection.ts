/**
 * One WebSocket connection, from the upgrade request to the socket's end:
 * runs the application during the handshake, upgrades only on
 * `websocket.accept`, turns frames into events and events into frames, and
 * enforces the per-connection limits (handshake time, slow readers, pongs).
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type {
  Application,
  Receive,
  Event,
  WebsocketInputEvent,
  WebsocketScope,
} from '../application';
import { CloseCode } from '../close-codes';
import { DenyConnection, InvalidEvent, StopConsumer, handshakeStatusOf } from '../errors';
import { isEnabled } from '../logging/process-logger';
import { instrumentation, refusalReasonOf as metricsReasonOf } from '../metrics/instrumentation';
import { EventQueue, markInbox } from '../inbox';
import { handshakeSummary, scopeLogger } from './log-fields';
import type { ResolvedServerOptions } from './options';
import { checkHeaders, writeRawResponse } from './raw-response';
import { refusalReasonOf, type RefusalReason } from './refusal-reasons';
import { redactScope } from './redact-scope';
import { coalesceWrite } from './tick-cork';
import { ACCEPT_REQUEST, CONNECTION } from '../symbols';

const SHUTTING_DOWN: RefusalReason = { kind: 'shutdown', text: 'server is shutting down' };

/** What the server shares with each connection. */
export interface ConnectionHost {
  readonly options: ResolvedServerOptions;
  readonly wss: WebSocketServer;
  readonly application: Application;
  /** The connection is open: include it in heartbeats. */
  opened(connection: WebsocketConnection): void;
  /** The connection's socket is gone: stop counting it. */
  released(connection: WebsocketConnection): void;
  /** The application has returned (or thrown) and its end was handled: `finished` has settled. */
  finished(connection: WebsocketConnection): void;
}

/** What `websocket.accept` asked for, read by the ws server's hooks for this request. */
export interface AcceptRequest {
  subprotocol: string | null;
  headers: Array<[string, string]>;
}

/** Where the accept request travels from the connection to ws's `handleProtocols`/`headers` hooks. */
export { ACCEPT_REQUEST };

const HANDSHAKE = 0;
const OPEN = 1;
const CLOSED = 2;

type ServedSocket = WebSocket & { [CONNECTION]: WebsocketConnection };
const connectionOf = (ws: WebSocket): WebsocketConnection => (ws as ServedSocket)[CONNECTION];

const CONNECT_EVENT = Object.freeze({ type: 'websocket.connect' }) as WebsocketInputEvent;
const noop = (): void => {};
const RESOLVED: Promise<void> = Promise.resolve();

/** Close codes an application may send (RFC 6455 7.4, as ws enforces them). */
function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
}

/** The close code ws attached to a protocol error (1002, 1007, 1009 ...). */
function closeCodeOfWsError(error: Error): number {
  for (const key of Object.getOwnPropertySymbols(error)) {
    if (key.description === 'status-code') {
      const value = (error as unknown as Record<symbol, unknown>)[key];
      if (typeof value === 'number') return value;
    }
  }
  return CloseCode.PROTOCOL_ERROR;
}

/** What only the handshake needs; dropped at the upgrade or the refusal (idle memory per connection). */
interface Handshake {
  req: IncomingMessage;
  head: Buffer;
  onSocketClose: (() => void) | null;
  timer: NodeJS.Timeout | null;
  denial: { status: number; headers: Array<[string, string]>; chunks: Uint8Array[] } | null;
}

/** A WebSocket connection under the server's care. */
export class WebsocketConnection {
  readonly scope: WebsocketScope;
  /** Ping round this connection last answered for (0: not waiting for a pong). */
  pingRound = 0;
  #host: ConnectionHost;
  /** Non-null until the handshake is answered (upgrade or refusal). */
  #handshake: Handshake | null;
  #socket: Duplex;
  #state = HANDSHAKE;
  #ws: WebSocket | null = null;
  #queue: EventQueue<WebsocketInputEvent> = new EventQueue<WebsocketInputEvent>(WebsocketConnection.#onConsumed, this);
  /** Reading from the client is paused until the application catches up. */
  #paused = false;
  /** The host has heard that the socket is gone. */
  #released = false;
  /** A `pong` listener is attached (only while a ping is out). */
  #pongListening = false;
  #closeTimer: NodeJS.Timeout | null = null;
  /** The write turn of the last frame (see tick-cork.ts). */
  #writeTurn = 0;

  /** The application's `receive`. After the disconnect, it returns that disconnect again. */
  readonly receive: () => Promise<WebsocketInputEvent>;
  /**
   * The application's `send`. Sends after the connection closed are ignored.
   * Not `async`: the frame path is the hottest in a fan-out, so it returns a
   * shared resolved promise instead of allocating one per frame.
   */
  readonly send: (event: Event) => Promise<void>;

  constructor(host: ConnectionHost, req: IncomingMessage, socket: Duplex, head: Buffer, scope: WebsocketScope) {
    this.#host = host;
    this.#handshake = { req, head, onSocketClose: null, timer: null, denial: null };
    this.#socket = socket;
    this.scope = scope;
    // Bound methods, not arrow-function fields: a loader that keeps function names (tsx, esbuild's
    // keepNames) redefines `name` on each such closure, a 256 B property dictionary per closure per
    // connection. A bound method gets none (a bound plain function would: bind copies a redefined
    // name). Idle memory per connection, bench/demo-memory.ts.
    // A consumer given this `receive` takes the events by push instead of a read loop (idle memory).
    this.receive = markInbox(this.#receive.bind(this), this.#queue);
    this.send = this.#send.bind(this);
  }

  /** True once the connection is upgraded and not yet closed. */
  get isOpen(): boolean {
    return this.#state === OPEN;
  }

  /** Settles once the application has returned and its end was handled (never rejects); set by `start()`. */
  finished: Promise<void> = RESOLVED;

  /** Runs the application; `finished` resolves when it has returned, and the host hears of it. */
  start(): Promise<void> {
    // A reset during the handshake must not crash the process; 'close' reports it.
    this.#socket.on('error', noop);
    const handshake = this.#handshake as Handshake;
    handshake.onSocketClose = () => this.#onHandshakeSocketClose();
    this.#socket.on('close', handshake.onSocketClose);
    handshake.timer = setTimeout(WebsocketConnection.#handshakeTimedOut, this.#host.options.handshakeTimeout, this);
    this.#queue.push(CONNECT_EVENT);
    let running: Promise<void>;
    try {
      running = Promise.resolve(this.#host.application(this.scope, this.receive as Receive, this.send));
    } catch (error) {
      running = Promise.reject(error);
    }
    // Bound, as in the constructor: the reaction holds them for the connection's life.
    this.finished = running.then(this.#onAppReturn.bind(this), this.#onAppError.bind(this));
    return this.finished;
  }

  #receive(): Promise<WebsocketInputEvent> {
    const next = this.#queue.next();
    this.#resumeIfCaughtUp();
    return next;
  }

  /** A consumer taking events by push has handled one (see EventQueue.consumed). */
  static #onConsumed(connection: WebsocketConnection): void {
    connection.#resumeIfCaughtUp();
  }

  #resumeIfCaughtUp(): void {
    if (this.#paused && this.#queue.size <= this.#host.options.maxQueuedMessages >> 1) {
      this.#paused = false;
      this.#ws?.resume();
    }
  }

  #send(event: Event): Promise<void> {
    if (this.#state === OPEN && event.type === 'websocket.send') {
      const ws = this.#ws as WebSocket;
      const { text, bytes } = event as { text?: unknown; bytes?: unknown };
      this.#writeTurn = coalesceWrite(this.#socket, this.#writeTurn);
      if (typeof text === 'string') ws.send(text);
      else if (bytes instanceof Uint8Array) ws.send(bytes);
      else return Promise.reject(new InvalidEvent('websocket.send needs `text` (a string) or `bytes` (a Uint8Array)'));
      instrumentation.messagesOut++;
      // Checked after queueing, so a reader that merely lags never loses a message;
      // one that stopped reading costs at most maxBufferedBytes plus one message.
      if (ws.bufferedAmount > this.#host.options.maxBufferedBytes) {
        instrumentation.slowClientCloses++;
        this.#closeFromServer(CloseCode.SLOW_CONSUMER, 'slow consumer');
      }
      return RESOLVED;
    }
    if (this.#state === CLOSED) return RESOLVED;
    try {
      this.#control(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return RESOLVED;
  }

  #control(event: Event): void {
    switch (event.type) {
      case 'websocket.accept':
        return this.#accept(event);
      case 'websocket.close':
        return this.#close(event);
      case 'websocket.http.response.start':
        return this.#denialStart(event);
      case 'websocket.http.response.body':
        return this.#denialBody(event);
      case 'websocket.send':
        throw new InvalidEvent('websocket.send before websocket.accept; accept the connection first');
      default:
        throw new InvalidEvent(`unknown event type ${JSON.stringify(event.type)} for a websocket connection`);
    }
  }

  /** Graceful shutdown: refuse a pending handshake with 503, close an open socket with 1001. */
  shutdown(): void {
    if (this.#state === HANDSHAKE) this.#refuse(503, 'server is shutting down', [], SHUTTING_DOWN);
    else if (this.#state === OPEN) this.#closeFromServer(CloseCode.GOING_AWAY, 'server shutting down');
  }

  /** Drops the transport at once (end of a shutdown's grace period). */
  terminate(): void {
    if (this.#state === HANDSHAKE) this.#refuse(503, 'server is shutting down', [], SHUTTING_DOWN);
    if (this.#ws !== null) this.#ws.terminate();
    else this.#socket.destroy();
    this.#end(CloseCode.ABNORMAL, 'terminated');
  }

  /** Heartbeat: send a ping for round `round` unless one is outstanding. */
  ping(round: number): void {
    if (this.#state !== OPEN || this.#paused || this.pingRound !== 0) return;
    this.pingRound = round;
    const ws = this.#ws as WebSocket;
    // Listened for only while a ping is out: one listener less on every idle connection.
    if (!this.#pongListening) {
      this.#pongListening = true;
      ws.on('pong', WebsocketConnection.#wsPong);
    }
    ws.ping();
  }

  /** Heartbeat: drop the peer if it has not answered the ping of round `round`. */
  checkPong(round: number): void {
    if (this.#state !== OPEN || this.#paused || this.pingRound !== round) return;
    (this.#ws as WebSocket).terminate();
    this.#end(CloseCode.ABNORMAL, 'pong timeout');
  }

  // ---------------------------------------------------------------- handshake

  #accept(event: Event): void {
    const handshake = this.#handshake;
    if (this.#state !== HANDSHAKE || handshake === null) throw new InvalidEvent('websocket.accept sent twice');
    if (handshake.denial !== null) throw new InvalidEvent('websocket.accept after websocket.http.response.start');
    const subprotocol = (event as { subprotocol?: unknown }).subprotocol ?? null;
    if (subprotocol !== null && (typeof subprotocol !== 'string' || !this.scope.subprotocols.includes(subprotocol))) {
      throw new InvalidEvent(
        `websocket.accept: subprotocol ${JSON.stringify(subprotocol)} was not offered by the client ` +
          `(offered: ${JSON.stringify(this.scope.subprotocols)})`,
      );
    }
    const headers = checkHeaders((event as { headers?: unknown }).headers, 'websocket.accept');
    this.#leaveHandshake();
    const socket = this.#socket;
    const request: AcceptRequest = { subprotocol, headers };
    const req = handshake.req;
    (req as unknown as Record<symbol, AcceptRequest>)[ACCEPT_REQUEST] = request;
    let upgraded = false;
    this.#host.wss.handleUpgrade(req, socket, handshake.head, (ws) => {
      upgraded = true;
      this.#open(ws);
    });
    if (!upgraded) {
      // ws drops sockets the client already half-closed without calling back.
      instrumentation.handshake('abandoned');
      socket.destroy();
      this.#end(CloseCode.ABNORMAL, 'client went away during the handshake');
    }
  }

  #open(ws: WebSocket): void {
    this.#ws = ws;
    this.#state = OPEN;
    // ws has its own socket error handler now; ours only covered the handshake.
    this.#socket.removeListener('error', noop);
    (ws as ServedSocket)[CONNECTION] = this;
    ws.on('message', WebsocketConnection.#wsMessage);
    ws.on('close', WebsocketConnection.#wsClose);
    ws.on('error', WebsocketConnection.#wsError);
    this.#host.opened(this);
  }

  #denialStart(event: Event): void {
    const handshake = this.#handshake;
    if (this.#state !== HANDSHAKE || handshake === null) throw new InvalidEvent('websocket.http.response.start is only valid before websocket.accept');
    if (handshake.denial !== null) throw new InvalidEvent('websocket.http.response.start sent twice');
    const status = (event as { status?: unknown }).status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
      throw new InvalidEvent(`websocket.http.response.start: status must be an integer from 200 to 599, got ${String(status)}`);
    }
    handshake.denial = { status, headers: checkHeaders((event as { headers?: unknown }).headers, 'websocket.http.response.start'), chunks: [] };
  }

  #denialBody(event: Event): void {
    const denial = this.#handshake?.denial ?? null;
    if (denial === null) throw new InvalidEvent('websocket.http.response.body before websocket.http.response.start');
    const body = (event as { body?: unknown }).body;
    if (body !== undefined && !(body instanceof Uint8Array)) throw new InvalidEvent('websocket.http.response.body: body must be a Uint8Array');
    if (body !== undefined && body.byteLength > 0) denial.chunks.push(body);
    if ((event as { moreBody?: unknown }).moreBody !== true) {
      this.#refuse(denial.status, Buffer.concat(denial.chunks), denial.headers, this.#deniedBy(`denied with HTTP ${denial.status}`));
    }
  }

  #close(event: Event): void {
    if (this.#state === HANDSHAKE) {
      this.#refuse(403, 'Forbidden', [], this.#deniedBy('closed the connection before accepting it'));
      return;
    }
    const { code = CloseCode.NORMAL, reason = '' } = event as { code?: unknown; reason?: unknown };
    if (typeof code !== 'number' || !isSendableCloseCode(code)) {
      throw new InvalidEvent(`websocket.close: ${String(code)} is not a close code an endpoint may send (1000-1014 except 1004-1006, or 3000-4999)`);
    }
    if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) {
      throw new InvalidEvent('websocket.close: reason must be a string of at most 123 UTF-8 bytes');
    }
    this.#closeFromServer(code, reason);
  }

  /** Answers the handshake with an HTTP error instead of upgrading, and says why at `debug`. */
  #refuse(status: number, body: string | Uint8Array, headers: ReadonlyArray<readonly [string, string]>, reason: RefusalReason): void {
    if (this.#state !== HANDSHAKE) return;
    instrumentation.handshake(metricsReasonOf(status));
    const log = this.#host.options.logger;
    if (isEnabled(log, 'debug')) {
      scopeLogger(log, this.scope).debug(
        { status, kind: reason.kind, ...(reason.code === undefined ? {} : { code: reason.code }), ...handshakeSummary(this.scope) },
        `handshake refused with ${status}: ${reason.text}`,
      );
    }
    this.#leaveHandshake();
    writeRawResponse(this.#socket, status, body, headers);
    this.#end(CloseCode.ABNORMAL, `handshake refused with HTTP ${status}`);
  }

  #leaveHandshake(): void {
    const handshake = this.#handshake;
    if (handshake === null) return;
    this.#handshake = null;
    if (handshake.timer !== null) clearTimeout(handshake.timer);
    if (handshake.onSocketClose !== null) this.#socket.removeListener('close', handshake.onSocketClose);
  }

  static #handshakeTimedOut(connection: WebsocketConnection): void {
    if (connection.#handshake !== null) connection.#handshake.timer = null;
    const ms = connection.#host.options.handshakeTimeout;
    connection.#refuse(504, `the application did not accept or deny the connection within ${ms} ms`, [], {
      kind: 'timeout',
      text: `timeout: ${connection.#owner()} did not call accept() or deny within ${ms} ms (handshakeTimeout)`,
    });
  }

  /** Who answers this handshake: a consumer taking events by push is the queue's reader, so its class is known. */
  #owner(): string {
    const reader = this.#queue.reader as { constructor?: { name?: string } } | null;
    return reader?.constructor?.name ? reader.constructor.name : 'the application';
  }

  #deniedBy(what: string): RefusalReason {
    return { kind: 'denied', text: `${this.#owner()} ${what}` };
  }

  #onHandshakeSocketClose(): void {
    if (this.#state !== HANDSHAKE) return;
    instrumentation.handshake('abandoned');
    this.#leaveHandshake();
    this.#end(CloseCode.ABNORMAL, 'client went away during the handshake');
  }

  // ---------------------------------------------------------------- open connection

  // ws calls its listeners with `this` = the socket: one shared function per event, not four closures per connection.
  static #wsMessage = function (this: WebSocket, data: Buffer, isBinary: boolean): void {
    connectionOf(this).#onMessage(data, isBinary);
  };
  static #wsClose = function (this: WebSocket, code: number, reason: Buffer): void {
    connectionOf(this).#onClose(code, reason);
  };
  static #wsError = function (this: WebSocket, error: Error): void {
    connectionOf(this).#onError(error);
  };
  static #wsPong = function (this: WebSocket): void {
    const connection = connectionOf(this);
    connection.pingRound = 0;
    connection.#pongListening = false;
    this.removeListener('pong', WebsocketConnection.#wsPong);
  };

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#state !== OPEN) return;
    instrumentation.messagesIn++;
    this.pingRound = 0;
    this.#queue.push(
      isBinary
        ? { type: 'websocket.receive', bytes: data }
        : { type: 'websocket.receive', text: data.toString('utf8') },
    );
    if (!this.#paused && this.#queue.size >= this.#host.options.maxQueuedMessages) {
      // Stop reading from this client until the application catches up: TCP pushes back.
      this.#paused = true;
      (this.#ws as WebSocket).pause();
    }
  }

  #onError(error: Error): void {
    // ws already sent the matching close frame (1002, 1007, 1009 ...).
    if (this.#state !== OPEN) return;
    this.#armCloseTimer();
    this.#end(closeCodeOfWsError(error), error.message);
  }

  #onClose(code: number, reason: Buffer): void {
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
    this.#end(code, reason.toString('utf8'));
    this.#release();
  }

  /** Server-side close: the frame goes out after any queued data, the app hears of it at once. */
  #closeFromServer(code: number, reason: string): void {
    if (this.#state !== OPEN) return;
    const ws = this.#ws as WebSocket;
    if (this.#paused) {
      this.#paused = false;
      ws.resume();
    }
    ws.close(code, reason);
    this.#armCloseTimer();
    this.#end(code, reason);
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== null || this.#ws === null) return;
    const ws = this.#ws;
    this.#closeTimer = setTimeout(() => ws.terminate(), this.#host.options.closeTimeout);
    this.#closeTimer.unref();
  }

  /** Marks the connection closed and delivers the one websocket.disconnect. */
  #end(code: number, reason: string): void {
    if (this.#state === CLOSED) return;
    const wasHandshake = this.#state === HANDSHAKE;
    this.#state = CLOSED;
    this.#queue.finish({ type: 'websocket.disconnect', code, reason });
    if (wasHandshake) this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#host.released(this);
  }

  // ---------------------------------------------------------------- application end

  #onAppReturn(): void {
    this.#host.finished(this);
    if (this.#state === HANDSHAKE) {
      const denial = this.#handshake?.denial ?? null;
      if (denial !== null) this.#refuse(denial.status, Buffer.concat(denial.chunks), denial.headers, this.#deniedBy(`denied with HTTP ${denial.status}`));
      else this.#refuse(403, 'Forbidden', [], this.#deniedBy('returned without accepting'));
    } else if (this.#state === OPEN) {
      this.#closeFromServer(CloseCode.NORMAL, '');
    }
  }

  #onAppError(error: unknown): void {
    this.#host.finished(this);
    if (this.#state === HANDSHAKE) {
      const status = handshakeStatusOf(error);
      if (status >= 500) this.#report(error);
      if (error instanceof DenyConnection) {
        this.#refuse(status, error.reason, checkHeadersSafely(error.headers), refusalReasonOf(error));
      } else {
        this.#refuse(status, `${status} ${STATUS_CODES[status] ?? 'Error'}`, [], refusalReasonOf(error));
      }
      return;
    }
    if (error instanceof StopConsumer) {
      this.#onAppReturn();
      return;
    }
    this.#report(error);
    if (this.#state === OPEN) this.#closeFromServer(CloseCode.INTERNAL_ERROR, 'internal error');
  }

  #report(error: unknown): void {
    try {
      // Never the raw scope: it still holds the client's token and cookies.
      this.#host.options.onError(error, redactScope(this.scope));
    } catch {
      // A failing error hook must not turn into an unhandled rejection.
    }
  }

}

function checkHeadersSafely(headers: unknown): Array<[string, string]> {
  try {
    return checkHeaders(headers, 'DenyConnection');
  } catch {
    return [];
  }
}
