/**
 * A WebSocket test client over `ws` that buffers everything it receives, so
 * a test can await "the next message" or "the close" with a bound, and a
 * refused handshake comes back as data (status, headers, body) instead of an
 * error event.
 *
 * @example
 * const client = await connectClient(`${server.url}/ws/echo/`, { protocols: ['chat'] });
 * client.send('hi');
 * expect(await client.nextText()).toBe('hi');
 * expect(await client.closed()).toEqual({ code: 1000, reason: '' });
 *
 * const refused = await tryConnect(`${server.url}/nowhere/`);
 * expect(refused.ok ? 0 : refused.status).toBe(404);
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import { registerCloser } from './cleanup';
import { DEFAULT_WAIT_MS, withTimeout } from './deadline';

/** One received message. */
export interface ReceivedMessage {
  /** Set for text frames. */
  text?: string;
  /** Set for binary frames. */
  bytes?: Buffer;
}

/** How a connection ended, as the client saw it. */
export interface ClosedInfo {
  code: number;
  reason: string;
}

/** Options for `connectClient` / `tryConnect`. */
export interface ConnectOptions {
  /** Subprotocols to offer. */
  protocols?: string[];
  /** Extra request headers (e.g. Origin, Cookie, Authorization). */
  headers?: Record<string, string>;
  /** Bound for the handshake, in ms. Default 5 000. */
  timeoutMs?: number;
  /** Passed through to ws (e.g. maxPayload, perMessageDeflate). */
  wsOptions?: ClientOptions;
}

/** The outcome of a handshake that may be refused. */
export type ConnectOutcome =
  | { ok: true; client: TestClient }
  | { ok: false; status: number; headers: IncomingHttpHeaders; body: string };

/** A connected client; every message and the close are buffered until awaited. */
export class TestClient {
  readonly ws: WebSocket;
  /** The response to the upgrade request (101), for header assertions. */
  readonly upgradeResponse: IncomingMessage | null;
  #messages: ReceivedMessage[] = [];
  #waiters: Array<(message: ReceivedMessage) => void> = [];
  #closed: Promise<ClosedInfo>;
  #closedInfo: ClosedInfo | null = null;

  constructor(ws: WebSocket, upgradeResponse: IncomingMessage | null) {
    this.ws = ws;
    this.upgradeResponse = upgradeResponse;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      const message: ReceivedMessage = isBinary ? { bytes: buffer } : { text: buffer.toString('utf8') };
      const waiter = this.#waiters.shift();
      if (waiter) waiter(message);
      else this.#messages.push(message);
    });
    this.#closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        this.#closedInfo = { code, reason: reason.toString('utf8') };
        resolve(this.#closedInfo);
      });
    });
    // Errors (e.g. a server's protocol close) end in 'close'; keep them from crashing the test process.
    ws.on('error', () => {});
  }

  /** The negotiated subprotocol ('' when none). */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** Messages received and not yet taken. */
  get pending(): number {
    return this.#messages.length;
  }

  /** The close info once closed, else null. */
  get closedInfo(): ClosedInfo | null {
    return this.#closedInfo;
  }

  /** Sends text (string) or binary (Buffer/Uint8Array). */
  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** Sends `JSON.stringify(value)` as text. */
  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** The next message, waiting up to `timeoutMs`. Rejects if the connection closes first. */
  nextMessage(timeoutMs = DEFAULT_WAIT_MS): Promise<ReceivedMessage> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const next = new Promise<ReceivedMessage>((resolve, reject) => {
      this.#waiters.push(resolve);
      this.#closed.then((info) => {
        const index = this.#waiters.indexOf(resolve);
        if (index === -1) return;
        this.#waiters.splice(index, 1);
        reject(new Error(`connection closed (${info.code} ${info.reason}) while waiting for a message`));
      });
    });
    return withTimeout(next, timeoutMs, 'a websocket message');
  }

  /** The next message, which must be text. */
  async nextText(timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const message = await this.nextMessage(timeoutMs);
    if (message.text === undefined) throw new Error(`expected a text frame, got ${message.bytes?.length} binary bytes`);
    return message.text;
  }

  /** The next message, which must be binary. */
  async nextBytes(timeoutMs = DEFAULT_WAIT_MS): Promise<Buffer> {
    const message = await this.nextMessage(timeoutMs);
    if (message.bytes === undefined) throw new Error(`expected a binary frame, got text ${JSON.stringify(message.text)}`);
    return message.bytes;
  }

  /** The next text message, parsed as JSON. */
  async nextJson<T = unknown>(timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return JSON.parse(await this.nextText(timeoutMs)) as T;
  }

  /** Resolves with the close code and reason, waiting up to `timeoutMs`. */
  closed(timeoutMs = DEFAULT_WAIT_MS): Promise<ClosedInfo> {
    return withTimeout(this.#closed, timeoutMs, 'the websocket to close');
  }

  /** Starts a close handshake and waits for it to finish. */
  async close(code = 1000, reason = '', timeoutMs = DEFAULT_WAIT_MS): Promise<ClosedInfo> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return this.closed(timeoutMs);
  }

  /** Drops the TCP connection without a close frame (the server sees 1006). */
  terminate(): void {
    this.ws.terminate();
  }
}

/**
 * Attempts a handshake. Resolves `{ ok: true, client }` on 101, or
 * `{ ok: false, status, headers, body }` when the server answers with an
 * HTTP response instead; rejects on network errors and on timeout.
 */
export function tryConnect(url: string, options: ConnectOptions = {}): Promise<ConnectOutcome> {
  const { protocols = [], headers = {}, timeoutMs = DEFAULT_WAIT_MS, wsOptions = {} } = options;
  const ws = new WebSocket(url, protocols, { ...wsOptions, headers: { ...headers, ...(wsOptions.headers ?? {}) } });
  const unregister = registerCloser(() => {
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
  const outcome = new Promise<ConnectOutcome>((resolve, reject) => {
    let upgradeResponse: IncomingMessage | null = null;
    ws.once('upgrade', (response) => {
      upgradeResponse = response;
    });
    ws.once('open', () => resolve({ ok: true, client: new TestClient(ws, upgradeResponse) }));
    ws.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        unregister();
        ws.terminate();
        resolve({ ok: false, status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    ws.once('error', reject);
  });
  return withTimeout(outcome, timeoutMs, `the handshake with ${url}`).catch((error: unknown) => {
    ws.terminate();
    throw error;
  });
}

/** Connects and expects the handshake to succeed (throws with the HTTP status otherwise). */
export async function connectClient(url: string, options: ConnectOptions = {}): Promise<TestClient> {
  const outcome = await tryConnect(url, options);
  if (!outcome.ok) throw new Error(`handshake with ${url} refused: HTTP ${outcome.status} ${outcome.body}`);
  return outcome.client;
}
