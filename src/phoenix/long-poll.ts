/**
 * The long-poll transport phoenix.js falls back to. A session is the same
 * socket connection a WebSocket gets, driven through synthetic websocket
 * events: POSTed frames become `websocket.receive`, frames the connection
 * sends wait in the session until the client's next GET takes them.
 *
 * The exchange (every response is HTTP 200 with a JSON body; only its
 * `status` counts):
 * - GET without a known `token`: connect; `{status: 410, token}` opens the
 *   session, `{status: 403}` refuses it.
 * - GET with the token: `{status: 200, token, messages}` when frames are
 *   waiting, else held up to `windowMs` and answered `{status: 204, token}`.
 * - POST with the token: newline-separated frames (base64 lines are binary),
 *   `{status: 200}`; `{status: 410}` when the session is gone.
 *
 * A session ends when no GET came for `windowMs` after the last one ended,
 * when its buffer passes `maxBufferedMessages` (a client that stopped
 * reading), when it posts faster than `messagesPerSecond`, or when the
 * connection closes; the client then gets 410 and starts over (rejoining
 * its topics). Sessions live in the process that made them: run long-poll
 * behind sticky sessions when there are several processes.
 */
import { randomBytes } from 'node:crypto';
import type { Application, Event, HttpScope, Receive, Send, WebsocketScope } from '../application';
import { TokenBucket } from '../middleware/rate-limit';
import type { LongPollOptions } from './socket-options';
import { PHOENIX_SCOPE_KEY, type PhoenixScopeInfo } from './socket-connection';

const JSON_HEADERS: Array<[string, string]> = [
  ['content-type', 'application/json; charset=utf-8'],
  ['cache-control', 'no-store'],
];
// phoenix.js posts at most this many frames per request.
const MAX_BATCH = 100;
const encoder = new TextEncoder();

// phoenix.js appends the session `token` after the socket's own params,
// which may have a `token` of their own (an auth token), and leaves it out
// before it has one. Session tokens carry a prefix so the two never mix.
const SESSION_PREFIX = 'phxlp.';

function isSessionToken(value: string): boolean {
  return value.startsWith(SESSION_PREFIX) || value === 'null' || value === 'undefined' || value === '';
}

function tokenOf(scope: HttpScope): string | null {
  const token = new URLSearchParams(scope.queryString).getAll('token').filter(isSessionToken).at(-1);
  return token === undefined || !token.startsWith(SESSION_PREFIX) ? null : token;
}

/** The query string without session tokens: the socket's connect params. */
function withoutSessionToken(queryString: string): string {
  const query = new URLSearchParams(queryString);
  const tokens = query.getAll('token');
  if (!tokens.some(isSessionToken)) return queryString;
  query.delete('token');
  for (const token of tokens) if (!isSessionToken(token)) query.append('token', token);
  return query.toString();
}

/** One long-poll client: a running connection and its outgoing buffer. */
class LongPollSession {
  readonly token = SESSION_PREFIX + randomBytes(18).toString('base64url');
  #inbox: Event[] = [];
  #inboxWaiter: ((event: Event) => void) | null = null;
  #outbox: string[] = [];
  #pollWaiter: (() => void) | null = null;
  #expiry: NodeJS.Timeout | undefined;
  #bucket: TokenBucket | null;
  #ended = false;
  #opened: (outcome: 'open' | number) => void = () => undefined;
  /** Resolves once the connection accepted (`open`) or refused (an HTTP status). */
  readonly opened: Promise<'open' | number>;

  constructor(
    readonly transport: LongPollTransport,
    readonly options: Required<LongPollOptions>,
  ) {
    this.#bucket = Number.isFinite(options.messagesPerSecond) ? new TokenBucket(options.messagesPerSecond, options.messagesPerSecond, performance.now()) : null;
    this.opened = new Promise((resolve) => {
      this.#opened = resolve;
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  run(app: Application, scope: WebsocketScope): void {
    this.#inbox.push({ type: 'websocket.connect' });
    const receive: Receive = () => {
      const next = this.#inbox.shift();
      if (next !== undefined) return Promise.resolve(next);
      return new Promise((resolve) => {
        this.#inboxWaiter = resolve;
      });
    };
    const send: Send = async (event) => this.#fromConnection(event);
    app(scope, receive, send)
      .catch((error: unknown) => {
        this.#opened(500);
        this.transport.logError(error);
      })
      .finally(() => this.end());
    this.#armExpiry();
  }

  #fromConnection(event: Event): void {
    switch (event.type) {
      case 'websocket.accept':
        this.#opened('open');
        return;
      case 'websocket.http.response.start':
        this.#opened(typeof event.status === 'number' ? event.status : 403);
        return;
      case 'websocket.close':
        this.#opened(403);
        this.end();
        return;
      case 'websocket.send':
        if (this.#ended) return;
        if (typeof event.text !== 'string') {
          this.transport.warnBinary();
          return;
        }
        if (this.#outbox.length >= this.options.maxBufferedMessages) {
          this.end();
          return;
        }
        this.#outbox.push(event.text);
        this.#wakePoll();
        return;
    }
  }

  #deliver(event: Event): void {
    const waiter = this.#inboxWaiter;
    if (waiter !== null) {
      this.#inboxWaiter = null;
      waiter(event);
    } else {
      this.#inbox.push(event);
    }
  }

  #wakePoll(): void {
    const waiter = this.#pollWaiter;
    this.#pollWaiter = null;
    waiter?.();
  }

  #armExpiry(): void {
    clearTimeout(this.#expiry);
    this.#expiry = setTimeout(() => this.end(), this.options.windowMs);
    this.#expiry.unref();
  }

  /** Take the waiting frames, holding up to `windowMs` (or until `abandoned`) when there are none. */
  async poll(abandoned: Promise<unknown>): Promise<string[] | null> {
    clearTimeout(this.#expiry);
    this.#wakePoll(); // an older GET still held gives way to this one
    try {
      if (this.#outbox.length === 0 && !this.#ended) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            this.#pollWaiter = resolve;
            timer = setTimeout(resolve, this.options.windowMs);
          }),
          abandoned,
        ]);
        clearTimeout(timer);
      }
      if (this.#ended && this.#outbox.length === 0) return null;
      const messages = this.#outbox;
      this.#outbox = [];
      return messages;
    } finally {
      if (!this.#ended) this.#armExpiry();
    }
  }

  /** Frames from a POST body. False when the session ended (over its rate, or gone). */
  publish(frames: Array<{ text?: string; bytes?: Uint8Array }>): boolean {
    if (this.#ended) return false;
    for (const frame of frames) {
      if (this.#bucket !== null && !this.#bucket.take(performance.now())) {
        this.end();
        return false;
      }
      this.#deliver({ type: 'websocket.receive', ...frame });
    }
    return true;
  }

  /** End the session: the connection sees a disconnect (1001), waiting polls are answered. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#expiry);
    this.#opened(410);
    this.#deliver({ type: 'websocket.disconnect', code: 1001 });
    this.#wakePoll();
    this.transport.forget(this);
  }
}

/** Serves `<path>/longpoll`; internal (made by `phoenixSocket()`). */
export class LongPollTransport {
  readonly #sessions = new Map<string, LongPollSession>();
  #warnedBinary = false;

  constructor(
    readonly app: Application,
    readonly options: Required<LongPollOptions>,
  ) {}

  /** Sessions alive in this process. */
  get size(): number {
    return this.#sessions.size;
  }

  async handle(scope: HttpScope, receive: Receive, send: Send): Promise<void> {
    const token = tokenOf(scope);
    const session = token === null ? undefined : this.#sessions.get(token);
    switch (scope.method) {
      case 'GET': {
        if (session === undefined || session.ended) return this.#open(scope, send);
        const abandoned = this.#disconnected(receive);
        const messages = await session.poll(abandoned);
        if (messages === null) return respond(send, { status: 410, token: session.token, messages: [] });
        if (messages.length === 0) return respond(send, { status: 204, token: session.token, messages: [] });
        return respond(send, { status: 200, token: session.token, messages });
      }
      case 'POST': {
        const body = await readBody(receive, this.options.maxBodyBytes);
        if (body === null) return respond(send, { status: 413 });
        if (session === undefined || session.ended) return respond(send, { status: 410 });
        return respond(send, { status: session.publish(framesOf(body, scope)) ? 200 : 410 });
      }
      case 'OPTIONS':
        await send({ type: 'http.response.start', status: 200, headers: [['access-control-allow-methods', 'get, post, options']] });
        return send({ type: 'http.response.body', body: new Uint8Array(0) });
      default:
        return respond(send, { status: 400 }, 400);
    }
  }

  async #open(scope: HttpScope, send: Send): Promise<void> {
    const session = new LongPollSession(this, this.options);
    const authToken = scope.headers['x-phoenix-authtoken'];
    const info: PhoenixScopeInfo = authToken ? { transport: 'longpoll', authToken } : { transport: 'longpoll' };
    const wsScope = {
      ...scope,
      type: 'websocket',
      scheme: scope.scheme === 'https' ? 'wss' : 'ws',
      queryString: withoutSessionToken(scope.queryString),
      subprotocols: [],
      [PHOENIX_SCOPE_KEY]: info,
    } as unknown as WebsocketScope;
    delete (wsScope as unknown as Record<string, unknown>).method;
    delete (wsScope as unknown as Record<string, unknown>).httpVersion;
    this.#sessions.set(session.token, session);
    session.run(this.app, wsScope);
    const outcome = await session.opened;
    if (outcome === 'open') return respond(send, { status: 410, token: session.token, messages: [] });
    session.end();
    return respond(send, { status: outcome === 404 || outcome >= 500 ? 500 : 403 });
  }

  #disconnected(receive: Receive): Promise<unknown> {
    // The request has no body: the next event is the client going away.
    return receive().then((event) => (event.type === 'http.disconnect' ? event : receive()));
  }

  forget(session: LongPollSession): void {
    if (this.#sessions.get(session.token) === session) this.#sessions.delete(session.token);
  }

  logError(error: unknown): void {
    console.error('[switchyard] phoenix long-poll session failed', error);
  }

  warnBinary(): void {
    if (this.#warnedBinary) return;
    this.#warnedBinary = true;
    console.warn('[switchyard] phoenix long-poll: dropped a binary frame for a long-poll client (phoenix.js reads text only over long-poll)');
  }
}

function framesOf(body: Uint8Array, scope: HttpScope): Array<{ text?: string; bytes?: Uint8Array }> {
  const text = Buffer.from(body).toString('utf8');
  const ndjson = (scope.headers['content-type'] ?? '').startsWith('application/x-ndjson');
  const parts = ndjson ? text.split(/\r?\n/).slice(0, MAX_BATCH) : [text];
  const frames: Array<{ text?: string; bytes?: Uint8Array }> = [];
  for (const part of parts) {
    if (part === '') continue;
    // JSON frames start with `[` (2.0.0) or `{` (1.0.0); anything else is a base64 binary frame.
    if (part.startsWith('[') || part.startsWith('{')) frames.push({ text: part });
    else frames.push({ bytes: new Uint8Array(Buffer.from(part, 'base64')) });
  }
  return frames;
}

async function readBody(receive: Receive, limit: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') return null;
    const chunk = event.body as Uint8Array;
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
    if (event.moreBody !== true) break;
  }
  return Buffer.concat(chunks);
}

async function respond(send: Send, body: Record<string, unknown>, httpStatus = 200): Promise<void> {
  await send({ type: 'http.response.start', status: httpStatus, headers: JSON_HEADERS });
  await send({ type: 'http.response.body', body: encoder.encode(JSON.stringify(body)) });
}
