/**
 * Plain HTTP for applications written against the event contract (HTTP
 * consumers), shaped like its WebSocket sibling (websocket-connection.ts):
 * the request body becomes `http.request` events in the exchange's inbox
 * (the same EventQueue a WebSocket connection and the communicators use), and
 * reading the body pauses while the application has not handled them, so a
 * slow application pushes back on the client; `http.response.*` events are
 * written as they come, so streamed responses (Server-Sent Events) reach the
 * client chunk by chunk.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Application, Event, HttpInputEvent, HttpScope, Receive } from '../application';
import { InvalidEvent, handshakeStatusOf } from '../errors';
import { EventQueue, markInbox } from '../inbox';
import { httpResponseStarted } from '../metrics/connection-tag';

const EMPTY = new Uint8Array(0);
const DISCONNECT = Object.freeze({ type: 'http.disconnect' }) as HttpInputEvent;

const NOT_STARTED = 0;
const STARTED = 1;
const STREAMING = 2;
const DONE = 3;
// Body chunks read ahead of the application: one waiting while it handles the previous one.
const BODY_READ_AHEAD = 1;

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) });
  res.end(body);
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.removeListener('drain', done);
      res.removeListener('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** One HTTP request under the server's care, from the request to the response's end. */
export class HttpExchange {
  readonly scope: HttpScope;
  #req: IncomingMessage;
  #res: ServerResponse;
  #onError: (error: unknown, scope: HttpScope) => void;
  #inbox: EventQueue<HttpInputEvent> = new EventQueue<HttpInputEvent>(HttpExchange.#onConsumed, this);
  #state = NOT_STARTED;
  #status = 200;
  #headers: string[] = [];
  #bodyPaused = false;

  constructor(scope: HttpScope, req: IncomingMessage, res: ServerResponse, onError: (error: unknown, scope: HttpScope) => void) {
    this.scope = scope;
    this.#req = req;
    this.#res = res;
    this.#onError = onError;
    // A consumer given this `receive` takes the events by push, as from a WebSocket connection.
    markInbox(this.receive, this.#inbox);
  }

  /** Runs `application`; resolves when it has returned (never rejects), errors go to `onError`. */
  run(application: Application): Promise<void> {
    this.#readBody();
    let running: Promise<void>;
    try {
      running = Promise.resolve(application(this.scope, this.receive as Receive, this.send));
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.then(this.#onAppReturn, this.#onAppError);
  }

  /** The application's `receive`: the body chunks, then `http.disconnect` (again on every later call). */
  readonly receive = (): Promise<HttpInputEvent> => {
    const next = this.#inbox.next();
    this.#resumeIfCaughtUp();
    return next;
  };

  /** The application's `send`: `http.response.start`, then `http.response.body` chunks. */
  readonly send = async (event: Event): Promise<void> => {
    if (event.type === 'http.response.start') return this.#start(event);
    if (event.type !== 'http.response.body') {
      throw new InvalidEvent(`unknown event type ${JSON.stringify(event.type)} for an http connection`);
    }
    return this.#body(event);
  };

  #readBody(): void {
    const req = this.#req;
    const res = this.#res;
    const onDisconnect = (): void => this.#inbox.finish(DISCONNECT);
    if (res.closed) onDisconnect();
    else res.once('close', onDisconnect);
    if (req.readableEnded) {
      this.#inbox.push({ type: 'http.request', body: EMPTY, moreBody: false });
      return;
    }
    req.on('data', (chunk: Buffer) => {
      this.#inbox.push({ type: 'http.request', body: chunk, moreBody: true });
      if (!this.#bodyPaused && this.#inbox.size > BODY_READ_AHEAD) {
        this.#bodyPaused = true;
        req.pause();
      }
    });
    req.once('end', () => this.#inbox.push({ type: 'http.request', body: EMPTY, moreBody: false }));
    // The client aborted the upload: no final chunk; the disconnect follows when the response closes.
    req.on('error', () => undefined);
  }

  static #onConsumed(exchange: HttpExchange): void {
    exchange.#resumeIfCaughtUp();
  }

  #resumeIfCaughtUp(): void {
    if (this.#bodyPaused && this.#inbox.size <= BODY_READ_AHEAD) {
      this.#bodyPaused = false;
      this.#req.resume();
    }
  }

  #start(event: Event): void {
    if (this.#state !== NOT_STARTED) throw new InvalidEvent('http.response.start sent twice');
    const code = (event as { status?: unknown }).status;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
      throw new InvalidEvent(`http.response.start: status must be an integer from 100 to 599, got ${String(code)}`);
    }
    const pairs = (event as { headers?: unknown }).headers ?? [];
    if (!Array.isArray(pairs)) throw new InvalidEvent('http.response.start: headers must be an array of [name, value] pairs');
    const headers: string[] = [];
    for (const pair of pairs as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidEvent('http.response.start: each header must be a [name, value] pair');
      headers.push(String(pair[0]), String(pair[1]));
    }
    this.#headers = headers;
    this.#status = code;
    this.#state = STARTED;
    httpResponseStarted(this.scope, headers);
  }

  async #body(event: Event): Promise<void> {
    const res = this.#res;
    if (this.#state === NOT_STARTED) throw new InvalidEvent('http.response.body before http.response.start');
    if (res.destroyed || res.closed) {
      this.#state = DONE; // the client went away: sending is a no-op, like websocket.send after close
      return;
    }
    if (this.#state === DONE) throw new InvalidEvent('http.response.body after the response was complete');
    const chunk = (event as { body?: unknown }).body ?? EMPTY;
    if (!(chunk instanceof Uint8Array)) throw new InvalidEvent('http.response.body: body must be a Uint8Array');
    const more = (event as { moreBody?: unknown }).moreBody === true;
    if (this.#state === STARTED) {
      const headers = this.#headers;
      if (!more && !headers.some((value, index) => index % 2 === 0 && value.toLowerCase() === 'content-length')) {
        headers.push('content-length', String(chunk.byteLength));
      }
      // Node validates names and values here; a bad header throws before anything is sent.
      res.writeHead(this.#status, headers);
      this.#state = STREAMING;
    }
    if (!more) {
      this.#state = DONE;
      res.end(chunk);
      return;
    }
    if (chunk.byteLength === 0) {
      if (!res.headersSent) res.flushHeaders();
      return;
    }
    if (!res.write(chunk)) await waitForDrain(res);
  }

  #onAppReturn = (): void => {
    const res = this.#res;
    if (this.#state === NOT_STARTED || this.#state === STARTED) {
      this.#onError(new InvalidEvent('the HTTP application returned without sending a complete response'), this.scope);
      plain(res, 500, 'Internal Server Error\n');
    } else if (this.#state === STREAMING && !res.writableEnded) {
      res.end();
    }
  };

  #onAppError = (error: unknown): void => {
    const res = this.#res;
    if (this.#state === NOT_STARTED || this.#state === STARTED || !res.headersSent) {
      const code = handshakeStatusOf(error);
      if (code >= 500) this.#onError(error, this.scope);
      plain(res, code, `${STATUS_CODES[code] ?? 'Error'}\n`);
    } else {
      this.#onError(error, this.scope);
      // Headers are out: all that is left is to cut the response short.
      res.destroy();
    }
  };
}
