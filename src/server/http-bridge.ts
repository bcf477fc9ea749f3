/**
 * Plain HTTP for applications written against the event contract (HTTP
 * consumers): the request body becomes `http.request` events, pulled on
 * demand so a slow application pushes back on the client; `http.response.*`
 * events are written as they come, so streamed responses (Server-Sent
 * Events) reach the client chunk by chunk.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Application, Event, HttpInputEvent, HttpScope, Receive } from '../application';
import { InvalidEvent, handshakeStatusOf } from '../errors';
import { httpResponseStarted } from '../metrics/connection-tag';

const EMPTY = new Uint8Array(0);
const DISCONNECT = Object.freeze({ type: 'http.disconnect' }) as HttpInputEvent;

const NOT_STARTED = 0;
const STARTED = 1;
const STREAMING = 2;
const DONE = 3;

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

/**
 * Runs `application` for one request. Resolves when the application has
 * returned (never rejects); errors go to `onError`.
 */
export function runHttpApplication(
  application: Application,
  scope: HttpScope,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (error: unknown, scope: HttpScope) => void,
): Promise<void> {
  let state = NOT_STARTED;
  let status = 200;
  let headers: string[] = [];
  let body: AsyncIterator<Buffer> | null = null;
  let bodyDone = false;
  let disconnected: Promise<HttpInputEvent> | null = null;

  const waitForDisconnect = (): Promise<HttpInputEvent> => {
    if (disconnected === null) {
      disconnected = res.closed ? Promise.resolve(DISCONNECT) : new Promise((resolve) => res.once('close', () => resolve(DISCONNECT)));
    }
    return disconnected;
  };

  const receive = async (): Promise<HttpInputEvent> => {
    if (!bodyDone) {
      body ??= req[Symbol.asyncIterator]();
      try {
        const chunk = await body.next();
        if (!chunk.done) return { type: 'http.request', body: chunk.value, moreBody: true };
        bodyDone = true;
        return { type: 'http.request', body: EMPTY, moreBody: false };
      } catch {
        bodyDone = true; // the client aborted the upload
      }
    }
    return waitForDisconnect();
  };

  const send = async (event: Event): Promise<void> => {
    if (event.type === 'http.response.start') {
      if (state !== NOT_STARTED) throw new InvalidEvent('http.response.start sent twice');
      const code = (event as { status?: unknown }).status;
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
        throw new InvalidEvent(`http.response.start: status must be an integer from 100 to 599, got ${String(code)}`);
      }
      const pairs = (event as { headers?: unknown }).headers ?? [];
      if (!Array.isArray(pairs)) throw new InvalidEvent('http.response.start: headers must be an array of [name, value] pairs');
      headers = [];
      for (const pair of pairs as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidEvent('http.response.start: each header must be a [name, value] pair');
        headers.push(String(pair[0]), String(pair[1]));
      }
      status = code;
      state = STARTED;
      httpResponseStarted(scope, headers);
      return;
    }
    if (event.type !== 'http.response.body') {
      throw new InvalidEvent(`unknown event type ${JSON.stringify(event.type)} for an http connection`);
    }
    if (state === NOT_STARTED) throw new InvalidEvent('http.response.body before http.response.start');
    if (res.destroyed || res.closed) {
      state = DONE; // the client went away: sending is a no-op, like websocket.send after close
      return;
    }
    if (state === DONE) throw new InvalidEvent('http.response.body after the response was complete');
    const chunk = (event as { body?: unknown }).body ?? EMPTY;
    if (!(chunk instanceof Uint8Array)) throw new InvalidEvent('http.response.body: body must be a Uint8Array');
    const more = (event as { moreBody?: unknown }).moreBody === true;
    if (state === STARTED) {
      if (!more && !headers.some((value, index) => index % 2 === 0 && value.toLowerCase() === 'content-length')) {
        headers.push('content-length', String(chunk.byteLength));
      }
      // Node validates names and values here; a bad header throws before anything is sent.
      res.writeHead(status, headers);
      state = STREAMING;
    }
    if (!more) {
      state = DONE;
      res.end(chunk);
      return;
    }
    if (chunk.byteLength === 0) {
      if (!res.headersSent) res.flushHeaders();
      return;
    }
    if (!res.write(chunk)) await waitForDrain(res);
  };

  let running: Promise<void>;
  try {
    running = Promise.resolve(application(scope, receive as Receive, send));
  } catch (error) {
    running = Promise.reject(error);
  }
  return running.then(
    () => {
      if (state === NOT_STARTED || state === STARTED) {
        onError(new InvalidEvent('the HTTP application returned without sending a complete response'), scope);
        plain(res, 500, 'Internal Server Error\n');
      } else if (state === STREAMING && !res.writableEnded) {
        res.end();
      }
    },
    (error: unknown) => {
      if (state === NOT_STARTED || state === STARTED || !res.headersSent) {
        const code = handshakeStatusOf(error);
        if (code >= 500) onError(error, scope);
        plain(res, code, `${STATUS_CODES[code] ?? 'Error'}\n`);
      } else {
        onError(error, scope);
        // Headers are out: all that is left is to cut the response short.
        res.destroy();
      }
    },
  );
}
