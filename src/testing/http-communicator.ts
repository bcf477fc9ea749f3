/**
 * An HTTP client in-process: one request, read back as a whole response or
 * chunk by chunk (for streaming and Server-Sent Events).
 */
import type { Application, HttpScope } from '../application';
import { UnexpectedOutput } from '../errors';
import { ApplicationCommunicator } from './application-communicator';
import { describeEvent } from './describe';
import { connectionScopeFields, type HeadersInit } from './scope';

/** Options for `HttpCommunicator`. */
export interface HttpCommunicatorOptions {
  /** Request body; a string is sent as UTF-8. Default empty. */
  body?: string | Uint8Array;
  /** Request headers; names are lower-cased, repeats joined. Default none. */
  headers?: HeadersInit;
  /** Extra or overriding scope keys. */
  scope?: Partial<HttpScope>;
}

/** A complete response. */
export interface HttpResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

/**
 * Sends one `http.request` (the whole body, `moreBody: false`) as soon as it
 * is constructed; read the response with `getResponse()`, or step through a
 * stream with `receiveResponseStart()` and `receiveBodyChunk()`.
 *
 * @example
 * const comm = new HttpCommunicator(app, 'GET', '/health');
 * const res = await comm.getResponse();
 * expect(res.status).toBe(200);
 */
export class HttpCommunicator extends ApplicationCommunicator {
  declare readonly scope: HttpScope;

  constructor(app: Application, method: string, path: string, options: HttpCommunicatorOptions = {}) {
    const scope: HttpScope = {
      type: 'http',
      scheme: 'http',
      method: method.toUpperCase(),
      httpVersion: '1.1',
      ...connectionScopeFields(path, options.headers),
      ...options.scope,
    };
    super(app as Application, scope);
    const body = options.body ?? new Uint8Array(0);
    void this.sendInput({
      type: 'http.request',
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      moreBody: false,
    });
  }

  /** The `http.response.start` event: status and headers. */
  async receiveResponseStart(timeoutMs = 1000): Promise<{ status: number; headers: Array<[string, string]> }> {
    const start = await this.receiveOutput(timeoutMs, 'http.response.start');
    if (start.type !== 'http.response.start') {
      throw new UnexpectedOutput(`expected http.response.start, got ${describeEvent(start)}`);
    }
    return { status: start.status as number, headers: (start.headers as Array<[string, string]> | undefined) ?? [] };
  }

  /** The next `http.response.body` chunk; `more` is its `moreBody`. */
  async receiveBodyChunk(timeoutMs = 1000): Promise<{ body: Buffer; more: boolean }> {
    const event = await this.receiveOutput(timeoutMs, 'http.response.body');
    if (event.type !== 'http.response.body') {
      throw new UnexpectedOutput(`expected http.response.body, got ${describeEvent(event)}`);
    }
    const body = event.body instanceof Uint8Array ? Buffer.from(event.body) : Buffer.alloc(0);
    return { body, more: Boolean(event.moreBody) };
  }

  /** The whole response: the start event plus every body chunk until `moreBody` is false. */
  async getResponse(timeoutMs = 1000): Promise<HttpResponse> {
    const { status, headers } = await this.receiveResponseStart(timeoutMs);
    const chunks: Buffer[] = [];
    for (;;) {
      const { body, more } = await this.receiveBodyChunk(timeoutMs);
      chunks.push(body);
      if (!more) return { status, headers, body: Buffer.concat(chunks) };
    }
  }

  /** Send `http.disconnect` (the client went away) and wait for the application to finish. */
  async disconnect(timeoutMs = 1000): Promise<void> {
    await this.sendInput({ type: 'http.disconnect' });
    await this.wait(timeoutMs);
  }
}
