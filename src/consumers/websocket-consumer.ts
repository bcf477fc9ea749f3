/**
 * The WebSocket consumer: connect / receive / disconnect hooks over the
 * websocket.* events, with accept, send, close and deny helpers.
 */
import type { WebsocketConnectEvent, WebsocketDisconnectEvent, WebsocketReceiveEvent, WebsocketScope } from '../application';
import { CloseCode } from '../close-codes';
import type { Event } from '../application';
import { AcceptConnection, DenyConnection, InvalidEvent, StopConsumer, isSwitchyardError, type LayerUnavailable } from '../errors';
import type { AnyEventMap, EventMap } from '../layers/channel-layer';
import { AsyncConsumer } from './async-consumer';
import { reserveMethodsOf } from './handler-name';

/** Handshake response headers: a record or `[name, value]` pairs. */
export type AcceptHeaders = Record<string, string> | Array<[string, string]>;

const TEXT_PLAIN: [string, string] = ['content-type', 'text/plain; charset=utf-8'];
const encoder = new TextEncoder();
const RESOLVED: Promise<void> = Promise.resolve();

function closeCodeOf(error: unknown): number | null {
  if (!isSwitchyardError(error)) return null;
  const code = (error as { closeCode?: unknown }).closeCode;
  return typeof code === 'number' ? code : null;
}

/**
 * A WebSocket consumer. Override `connect()` (accepts by default),
 * `receive(text, bytes)` and `disconnect(code)`; add handlers for channel
 * layer events (`chat.message` -> `chatMessage(event)`).
 *
 * How a connection ends, and what `disconnect(code)` is given:
 * - the client disconnects: its code; runs at once even if a handler is busy.
 * - the consumer calls `close(code)`: the consumer ends after the running
 *   handler returns and calls `disconnect(code)` itself.
 * - a handler throws after accept: the consumer sends close 1011, runs
 *   `disconnect(1011)`, and the application then rejects with the error (the
 *   server logs it; the close frame has already gone out). A catalogue error
 *   carrying a `closeCode` (NoHandler 4404, InvalidJson 4400, RateLimited
 *   1008) closes with that code instead and the application resolves.
 * - before accept there is no WebSocket: `close()` refuses with 403,
 *   `deny(status)` / a thrown DenyConnection with that status, any other
 *   error with 500 (the server's `handshakeStatusOf`); `disconnect` gets 1006.
 *
 * `disconnect` runs exactly once per connection.
 *
 * @example
 * class Echo extends WebsocketConsumer {
 *   async receive(text?: string, bytes?: Uint8Array) {
 *     await this.send(text ?? bytes!);
 *   }
 * }
 * const app = Echo.asApp();
 */
export class WebsocketConsumer<E extends EventMap = AnyEventMap> extends AsyncConsumer<E> {
  /** The WebSocket connection scope (path, headers, urlRoute, user, ...). */
  declare scope: WebsocketScope;
  #accepted = false;
  #closedWith: number | null = null;
  #disconnectRan = false;

  /** True once `accept()` was sent. */
  get accepted(): boolean {
    return this.#accepted;
  }

  /** Called on `websocket.connect`; accepts by default. Throw DenyConnection (or call `deny`) to refuse. */
  async connect(): Promise<void> {
    await this.accept();
  }

  /** Called for each frame: `text` for a text frame, `bytes` for a binary one. */
  async receive(text?: string, bytes?: Uint8Array): Promise<void> {}

  /** Called once when the connection ends, with the close code (see the class docs). */
  async disconnect(code: number): Promise<void> {}

  /** Accept the handshake, optionally choosing one of `scope.subprotocols` and adding response headers. */
  async accept(subprotocol?: string | null, headers?: AcceptHeaders): Promise<void> {
    if (this.#accepted) return;
    this.#accepted = true;
    await this.sendEvent({
      type: 'websocket.accept',
      subprotocol: subprotocol ?? null,
      ...(headers ? { headers: Array.isArray(headers) ? headers : Object.entries(headers) } : {}),
    });
  }

  /** Send a text frame (string) or a binary frame (Uint8Array/Buffer). Dropped after close. */
  send(data: string | Uint8Array): Promise<void> {
    // Not `async`: one promise less per frame (the fan-out path).
    if (!this.#accepted) {
      return Promise.reject(
        new InvalidEvent(`${this.constructor.name}.send() before accept(): accept the connection in connect() first`),
      );
    }
    if (this.#closedWith !== null) return RESOLVED;
    return this.sendEvent(typeof data === 'string' ? { type: 'websocket.send', text: data } : { type: 'websocket.send', bytes: data });
  }

  /**
   * Close with `code` (default 1000) and optional `reason`; before accept this
   * refuses the handshake with 403. The consumer ends once the running
   * handler returns, calling `disconnect(code)`.
   */
  async close(code: number = CloseCode.NORMAL, reason?: string): Promise<void> {
    if (this.#closedWith !== null) return;
    this.#closedWith = code;
    await this.sendEvent(reason ? { type: 'websocket.close', code, reason } : { type: 'websocket.close', code });
    this.requestStop();
  }

  /** Refuse the handshake with an HTTP `status` (default 403) and `reason` as the body. Throws DenyConnection. */
  deny(status = 403, reason?: string): never {
    throw new DenyConnection(status, reason);
  }

  /** Protocol handler for `websocket.connect`. */
  async websocketConnect(_event: WebsocketConnectEvent): Promise<void> {
    try {
      await this.connect();
    } catch (error) {
      if (error instanceof AcceptConnection) return this.accept();
      throw error;
    }
  }

  /** Protocol handler for `websocket.receive`: calls `receive(text, bytes)`. */
  async websocketReceive(event: WebsocketReceiveEvent): Promise<void> {
    await this.receive(event.text, event.bytes);
  }

  /** Protocol handler for `websocket.disconnect`: calls `disconnect(code)` once. */
  async websocketDisconnect(event: WebsocketDisconnectEvent): Promise<void> {
    this.#closedWith ??= event.code;
    await this.#runDisconnect(typeof event.code === 'number' ? event.code : CloseCode.ABNORMAL);
  }

  /** Before accept the error ends the consumer, so the handshake is refused with 503; after, it is logged. */
  protected override async onLayerUnavailable(error: LayerUnavailable, event: Event): Promise<void> {
    if (!this.#accepted) throw error;
    await super.onLayerUnavailable(error, event);
  }

  protected override async onEnd(error: unknown): Promise<unknown> {
    let outcome: unknown = null;
    let code: number;
    if (error === null || error instanceof StopConsumer) {
      code = this.#closedWith ?? CloseCode.NORMAL;
      if (this.#closedWith === null) await this.#sendClose(code);
    } else if (error instanceof DenyConnection) {
      if (this.#accepted) {
        code = CloseCode.POLICY_VIOLATION;
        await this.#sendClose(code, error.reason);
      } else {
        code = CloseCode.ABNORMAL;
        await this.#sendDenial(error);
      }
    } else {
      const own = closeCodeOf(error);
      if (own !== null) {
        code = own;
        await this.#sendClose(code, (error as { code: string }).code);
      } else {
        outcome = error;
        code = CloseCode.INTERNAL_ERROR;
        // Before accept, the error itself must reach the server, which refuses with handshakeStatusOf(error).
        if (this.#accepted) await this.#sendClose(code);
      }
    }
    try {
      await this.#runDisconnect(this.#accepted ? code : CloseCode.ABNORMAL);
    } catch (disconnectError) {
      if (outcome === null) outcome = disconnectError instanceof StopConsumer ? null : disconnectError;
      else (this.constructor as typeof AsyncConsumer).logger.error(`${this.constructor.name}.disconnect() failed`, disconnectError);
    }
    return outcome;
  }

  // The two senders below run while the consumer ends; a failing send must not keep disconnect() from running.
  async #sendClose(code: number, reason?: string): Promise<void> {
    if (this.#closedWith !== null) return;
    this.#closedWith = code;
    try {
      await this.sendEvent(reason ? { type: 'websocket.close', code, reason } : { type: 'websocket.close', code });
    } catch (error) {
      (this.constructor as typeof AsyncConsumer).logger.error(`${this.constructor.name}: sending close ${code} failed`, error);
    }
  }

  async #sendDenial(error: DenyConnection): Promise<void> {
    this.#closedWith = CloseCode.ABNORMAL;
    try {
      await this.sendEvent({ type: 'websocket.http.response.start', status: error.status, headers: [TEXT_PLAIN, ...error.headers] });
      await this.sendEvent({ type: 'websocket.http.response.body', body: encoder.encode(error.reason) });
    } catch (sendError) {
      (this.constructor as typeof AsyncConsumer).logger.error(`${this.constructor.name}: sending the denial failed`, sendError);
    }
  }

  async #runDisconnect(code: number): Promise<void> {
    if (this.#disconnectRan) return;
    this.#disconnectRan = true;
    await this.disconnect(code);
  }
}

reserveMethodsOf(WebsocketConsumer.prototype);
