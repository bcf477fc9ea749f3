/**
 * The real phoenix.js client in Node, for tests: sockets with short timers
 * (so reconnects, rejoins and heartbeats happen within a test), the ws
 * package as the WebSocket transport unless LongPoll is asked for, and
 * promise helpers over join / push / on. Every socket is disconnected by
 * `closeAll()`.
 */
import { LongPoll, Socket, type Channel as PhxChannel, type SocketConnectOption } from 'phoenix';
import WebSocket from 'ws';
import { registerCloser } from '../helpers/cleanup';
import { DEFAULT_WAIT_MS, withTimeout } from '../helpers/deadline';

/** A reply as phoenix.js reports it. */
export interface Reply {
  status: 'ok' | 'error' | 'timeout';
  response: any;
}

/** Options of `phxSocket`. */
export interface PhxSocketOptions extends Partial<SocketConnectOption> {
  longpoll?: boolean;
  vsn?: string;
}

/** A connected-on-demand phoenix.js socket against `endpoint` (`ws://127.0.0.1:<port>/socket`). */
export function phxSocket(endpoint: string, options: PhxSocketOptions = {}): Socket {
  const { longpoll, ...rest } = options;
  const socket = new Socket(endpoint, {
    transport: (longpoll ? LongPoll : WebSocket) as never,
    heartbeatIntervalMs: 30_000,
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
    timeout: 2_000,
    longpollerTimeout: 5_000,
    ...rest,
  } as Partial<SocketConnectOption>);
  registerCloser(
    () =>
      new Promise<void>((resolve) => {
        socket.disconnect(() => resolve());
        setTimeout(resolve, 200).unref();
      }),
  );
  return socket;
}

/** Connect and wait for the open event. */
export function connected(socket: Socket, ms = DEFAULT_WAIT_MS): Promise<void> {
  const opened = new Promise<void>((resolve) => socket.onOpen(() => resolve()));
  socket.connect();
  return withTimeout(opened, ms, 'socket open');
}

/** The join's reply (`ok`, `error` or `timeout`), once. */
export function joined(channel: PhxChannel, ms = DEFAULT_WAIT_MS): Promise<Reply> {
  const reply = new Promise<Reply>((resolve) => {
    channel
      .join()
      .receive('ok', (response) => resolve({ status: 'ok', response }))
      .receive('error', (response) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout', response: null }));
  });
  return withTimeout(reply, ms, `join of ${channel.topic}`);
}

/** Push and wait for the reply (or the push's timeout). */
export function pushed(channel: PhxChannel, event: string, payload: object, timeout?: number, ms = DEFAULT_WAIT_MS): Promise<Reply> {
  const reply = new Promise<Reply>((resolve) => {
    channel
      .push(event, payload, timeout)
      .receive('ok', (response) => resolve({ status: 'ok', response }))
      .receive('error', (response) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout', response: null }));
  });
  return withTimeout(reply, ms, `reply to ${event} on ${channel.topic}`);
}

/** Collects every `event` the channel gets, with a wait for the n-th. */
export function collect<T = any>(channel: PhxChannel, event: string): { items: T[]; next(count?: number, ms?: number): Promise<T[]> } {
  const items: T[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  channel.on(event, (payload) => {
    items.push(payload as T);
    for (const waiter of waiters.splice(0)) {
      if (items.length >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  return {
    items,
    next(count = items.length + 1, ms = DEFAULT_WAIT_MS) {
      if (items.length >= count) return Promise.resolve(items);
      return withTimeout(
        new Promise<T[]>((resolve) => waiters.push({ count, resolve: () => resolve(items) })),
        ms,
        `${count} x ${event} on ${channel.topic}`,
      );
    },
  };
}

/** Resolves on the channel's next `onError` / `onClose`. */
export function channelEvent(channel: PhxChannel, kind: 'error' | 'close', ms = DEFAULT_WAIT_MS): Promise<void> {
  const seen = new Promise<void>((resolve) => (kind === 'error' ? channel.onError(() => resolve()) : channel.onClose(() => resolve())));
  return withTimeout(seen, ms, `${kind} of ${channel.topic}`);
}
