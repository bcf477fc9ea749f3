/**
 * A WebSocket client in-process: builds the scope the server would, then
 * speaks websocket.* events to the application.
 */
import type { Application, Event, WebsocketScope } from '../application';
import { CommunicatorTimeout, DenyConnection, UnexpectedOutput, handshakeStatusOf } from '../errors';
import { ApplicationCommunicator } from './application-communicator';
import { describeEvent } from './describe';
import { connectionScopeFields, type HeadersInit } from './scope';

/** Options for `WebsocketCommunicator`. */
export interface WebsocketCommunicatorOptions {
  /** Request headers; names are lower-cased, repeats joined. Default none. */
  headers?: HeadersInit;
  /** Subprotocols the client offers, in order. Default none. */
  subprotocols?: string[];
  /** Extra or overriding scope keys (e.g. `user`, `urlRoute`). */
  scope?: Partial<WebsocketScope>;
}

/** What `connect()` resolves to. */
export type ConnectResult =
  | { connected: true; subprotocol: string | null; headers: Array<[string, string]> }
  | {
      connected: false;
      /** The code of a `websocket.close` sent before accept. */
      closeCode?: number;
      /** The HTTP status the real server refuses the handshake with. */
      status: number;
      /** Denial body (as text), close reason, or DenyConnection reason. */
      reason?: string;
      /** The error the application threw, when that is what refused. */
      error?: unknown;
    };

/** A received close: code (1000 when omitted) and reason ('' when omitted). */
export interface CloseInfo {
  code: number;
  reason: string;
}

/**
 * Drives a WebSocket application as a client would.
 *
 * @example
 * const comm = new WebsocketCommunicator(ChatConsumer.asApp(), '/ws/chat/lobby/');
 * expect((await comm.connect()).connected).toBe(true);
 * await comm.sendJsonTo({ message: 'hi' });
 * expect(await comm.receiveJsonFrom()).toEqual({ message: 'hi' });
 * await comm.disconnect();
 */
export class WebsocketCommunicator extends ApplicationCommunicator {
  declare readonly scope: WebsocketScope;
  #accepted = false;
  #closed = false;

  constructor(app: Application, path: string, options: WebsocketCommunicatorOptions = {}) {
    const scope: WebsocketScope = {
      type: 'websocket',
      scheme: 'ws',
      ...connectionScopeFields(path, options.headers),
      subprotocols: options.subprotocols ? [...options.subprotocols] : [],
      ...options.scope,
    };
    super(app as Application, scope);
  }

  /** True after the application accepted. */
  get accepted(): boolean {
    return this.#accepted;
  }

  /**
   * Send `websocket.connect` and report how the handshake ended, with the
   * status the real server would use: close before accept is 403, a denial
   * response its own status, an error `handshakeStatusOf(error)` (404 for
   * RouteNotFound, the chosen status for DenyConnection, 500 otherwise).
   */
  async connect(timeoutMs = 1000): Promise<ConnectResult> {
    await this.sendInput({ type: 'websocket.connect' });
    let event: Event;
    try {
      event = await this.receiveOutput(timeoutMs, 'websocket.accept, websocket.close or a denial response');
    } catch (error) {
      if (error instanceof UnexpectedOutput) {
        return { connected: false, status: 403, reason: 'application returned without accepting' };
      }
      if (this.finished && !(error instanceof CommunicatorTimeout)) {
        return {
          connected: false,
          status: handshakeStatusOf(error),
          reason: error instanceof DenyConnection ? error.reason : undefined,
          error,
        };
      }
      throw error;
    }
    switch (event.type) {
      case 'websocket.accept': {
        const subprotocol = (event.subprotocol as string | null | undefined) ?? null;
        if (subprotocol !== null && !this.scope.subprotocols.includes(subprotocol)) {
          throw new UnexpectedOutput(
            `connect(): the application accepted with subprotocol ${JSON.stringify(subprotocol)}, which the client ` +
              `did not offer (offered: ${JSON.stringify(this.scope.subprotocols)}); the server refuses such an accept`,
          );
        }
        this.#accepted = true;
        return {
          connected: true,
          subprotocol,
          headers: (event.headers as Array<[string, string]> | undefined) ?? [],
        };
      }
      case 'websocket.close':
        this.#closed = true;
        return {
          connected: false,
          closeCode: (event.code as number | undefined) ?? 1000,
          status: 403,
          reason: (event.reason as string | undefined) ?? '',
        };
      case 'websocket.http.response.start': {
        const reason = await this.#readDenialBody(timeoutMs);
        return { connected: false, status: event.status as number, reason };
      }
      default:
        throw new UnexpectedOutput(
          `connect(): expected websocket.accept, websocket.close or websocket.http.response.start, got ${describeEvent(event)}`,
        );
    }
  }

  /** Send a text (`{text}`) or binary (`{bytes}`) frame. */
  async sendTo(frame: { text: string } | { bytes: Uint8Array }): Promise<void> {
    await this.sendInput({ type: 'websocket.receive', ...frame });
  }

  /** Send `JSON.stringify(value)` as a text frame. */
  async sendJsonTo(value: unknown): Promise<void> {
    await this.sendInput({ type: 'websocket.receive', text: JSON.stringify(value) });
  }

  /**
   * The next frame: a string for a text frame, a Uint8Array for a binary one.
   * Throws UnexpectedOutput naming what came instead (e.g. a close with its code).
   */
  async receiveFrom(timeoutMs = 1000): Promise<string | Uint8Array> {
    const event = await this.receiveOutput(timeoutMs, 'a websocket.send frame');
    if (event.type !== 'websocket.send') {
      if (event.type === 'websocket.close') this.#closed = true;
      throw new UnexpectedOutput(`receiveFrom(): expected a websocket.send frame, got ${describeEvent(event)}`);
    }
    if (typeof event.text === 'string') return event.text;
    if (event.bytes instanceof Uint8Array) return event.bytes;
    throw new UnexpectedOutput('receiveFrom(): got a websocket.send with neither text nor bytes');
  }

  /** The next frame parsed as JSON; it must be a text frame. */
  async receiveJsonFrom(timeoutMs = 1000): Promise<any> {
    const frame = await this.receiveFrom(timeoutMs);
    if (typeof frame !== 'string') {
      throw new UnexpectedOutput(`receiveJsonFrom(): expected a text frame with JSON, got a ${frame.byteLength}-byte binary frame`);
    }
    try {
      return JSON.parse(frame);
    } catch {
      throw new UnexpectedOutput(`receiveJsonFrom(): expected JSON, got text ${JSON.stringify(frame.slice(0, 80))}`);
    }
  }

  /**
   * The next output must be a `websocket.close`. An application that throws
   * after accept without closing yields `{ code: 1011 }`, as the server would.
   */
  async receiveClose(timeoutMs = 1000): Promise<CloseInfo> {
    let event: Event;
    try {
      event = await this.receiveOutput(timeoutMs, 'websocket.close');
    } catch (error) {
      const appThrew = this.finished && !(error instanceof CommunicatorTimeout) && !(error instanceof UnexpectedOutput);
      if (appThrew && this.#accepted && !this.#closed) {
        this.#closed = true;
        return { code: 1011, reason: '' };
      }
      throw error;
    }
    if (event.type !== 'websocket.close') {
      throw new UnexpectedOutput(`receiveClose(): expected websocket.close, got ${describeEvent(event)}`);
    }
    this.#closed = true;
    return { code: (event.code as number | undefined) ?? 1000, reason: (event.reason as string | undefined) ?? '' };
  }

  /**
   * Send `websocket.disconnect` with `code` and wait (up to `timeoutMs`) for
   * the application to finish; rethrows its error, CommunicatorTimeout if it
   * does not finish.
   */
  async disconnect(code = 1000, timeoutMs = 1000): Promise<void> {
    await this.sendInput({ type: 'websocket.disconnect', code });
    await this.wait(timeoutMs);
  }

  async #readDenialBody(timeoutMs: number): Promise<string> {
    const chunks: Buffer[] = [];
    for (;;) {
      const body = await this.receiveOutput(timeoutMs, 'websocket.http.response.body');
      if (body.type !== 'websocket.http.response.body') {
        throw new UnexpectedOutput(`connect(): expected websocket.http.response.body after the denial start, got ${describeEvent(body)}`);
      }
      if (body.body instanceof Uint8Array) chunks.push(Buffer.from(body.body));
      if (!body.moreBody) return Buffer.concat(chunks).toString('utf8');
    }
  }
}
