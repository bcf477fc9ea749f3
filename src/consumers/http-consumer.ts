/**
 * The HTTP consumer: collects the request body, calls `handle(body)`, and
 * writes a plain or streaming (Server-Sent Events) response.
 */
import type { HttpDisconnectEvent, HttpRequestEvent, HttpScope } from '../application';
import { InvalidEvent, StopConsumer } from '../errors';
import type { AnyEventMap, EventMap } from '../layers/channel-layer';
import { AsyncConsumer } from './async-consumer';
import { reserveMethodsOf } from './handler-name';

/** Response headers: a record or `[name, value]` pairs. */
export type ResponseHeaders = Record<string, string> | Array<[string, string]>;

function toPairs(headers: ResponseHeaders | undefined): Array<[string, string]> {
  if (!headers) return [];
  return Array.isArray(headers) ? headers : Object.entries(headers);
}

/**
 * An HTTP consumer. Implement `handle(body)` and answer with `sendResponse`,
 * or with `sendHeaders` then `sendBody(chunk, { more: true })` repeatedly to
 * stream. The consumer ends when the final body chunk (`more: false`) is
 * sent; while a response is still streaming it keeps running and handles
 * channel layer events (e.g. an SSE stream fed by `groupSend`), until the
 * client disconnects. `disconnect()` runs once at the end.
 *
 * @example
 * class Events extends AsyncHttpConsumer {
 *   static groups = ['news'];
 *   async handle() {
 *     await this.sendHeaders({ headers: { 'content-type': 'text/event-stream' } });
 *   }
 *   async newsItem(event: { type: 'news.item'; text: string }) {
 *     await this.sendBody(`data: ${event.text}\n\n`, { more: true });
 *   }
 * }
 */
export class AsyncHttpConsumer<E extends EventMap = AnyEventMap> extends AsyncConsumer<E> {
  /** The HTTP request scope (method, path, headers, ...). */
  declare scope: HttpScope;
  #chunks: Uint8Array[] = [];
  #started = false;
  #finished = false;
  #disconnectRan = false;

  /** True once the response start (status and headers) was sent. */
  get responseStarted(): boolean {
    return this.#started;
  }

  /** Called with the whole request body. The default answers 405 Method Not Allowed. */
  async handle(body: Buffer): Promise<void> {
    await this.sendResponse(405, 'Method Not Allowed', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }

  /** Called once when the consumer ends (response finished, client gone, or an error). */
  async disconnect(): Promise<void> {}

  /** Send the status line and headers. */
  async sendHeaders(options: { status?: number; headers?: ResponseHeaders } = {}): Promise<void> {
    if (this.#started) throw new InvalidEvent(`${this.constructor.name}.sendHeaders() called twice`);
    this.#started = true;
    await this.sendEvent({ type: 'http.response.start', status: options.status ?? 200, headers: toPairs(options.headers) });
  }

  /** Send a body chunk (a string is UTF-8); `more: true` keeps the response open for further chunks. */
  async sendBody(chunk: string | Uint8Array, options: { more?: boolean } = {}): Promise<void> {
    if (!this.#started) throw new InvalidEvent(`${this.constructor.name}.sendBody() before sendHeaders()`);
    if (this.#finished) throw new InvalidEvent(`${this.constructor.name}.sendBody() after the final chunk`);
    const more = options.more ?? false;
    if (!more) this.#finished = true;
    await this.sendEvent({
      type: 'http.response.body',
      body: typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk,
      moreBody: more,
    });
    if (!more) this.requestStop();
  }

  /** Send a whole response in one go. */
  async sendResponse(status: number, body: string | Uint8Array, options: { headers?: ResponseHeaders } = {}): Promise<void> {
    await this.sendHeaders({ status, headers: options.headers });
    await this.sendBody(body);
  }

  /** Protocol handler for `http.request`: buffers chunks, then calls `handle`. */
  async httpRequest(event: HttpRequestEvent): Promise<void> {
    if (event.body && event.body.byteLength > 0) this.#chunks.push(event.body);
    if (event.moreBody) return;
    const body = Buffer.concat(this.#chunks);
    this.#chunks = [];
    await this.handle(body);
  }

  /** Protocol handler for `http.disconnect`. */
  async httpDisconnect(_event: HttpDisconnectEvent): Promise<void> {
    await this.#runDisconnect();
  }

  protected override async onEnd(error: unknown): Promise<unknown> {
    let outcome = error instanceof StopConsumer ? null : error;
    try {
      await this.#runDisconnect();
    } catch (disconnectError) {
      if (outcome === null) outcome = disconnectError;
      else (this.constructor as typeof AsyncConsumer).logger.error(`${this.constructor.name}.disconnect() failed`, disconnectError);
    }
    return outcome;
  }

  async #runDisconnect(): Promise<void> {
    if (this.#disconnectRan) return;
    this.#disconnectRan = true;
    await this.disconnect();
  }
}

reserveMethodsOf(AsyncHttpConsumer.prototype);
