/**
 * Two ways to drive one WebSocket application from a test: a
 * WebsocketCommunicator (in-process) and a real client on a real server. A
 * parity case is a script over the `Driver` interface; it runs unchanged on
 * both, and what it observes must be the same.
 */
import type { Application } from '../../src/application';
import { UnexpectedOutput } from '../../src/errors';
import { WebsocketCommunicator } from '../../src/testing/websocket-communicator';
import { startServer, type StartedServer } from '../helpers/start-server';
import { tryConnect, type TestClient } from '../helpers/ws-client';

/** What a client observes next: a frame, or the close the server sent. */
export type Observed = { text: string } | { bytes: string } | { close: number; reason: string };

/** How a handshake ended, as both paths can report it. */
export type Handshake = { connected: true; subprotocol: string | null } | { connected: false; status: number };

/** One client connection driven by a test. */
export interface Connection {
  send(text: string): Promise<void>;
  sendBytes(bytes: Uint8Array): Promise<void>;
  /** The next frame or close. */
  next(): Promise<Observed>;
  /** The client closes with `code` (a case waits for the consumer's own record of its end). */
  disconnect(code: number): Promise<void>;
}

export interface Driver {
  readonly kind: 'communicator' | 'server';
  /** Connect to `app` (or the one given at start) at `path`; null connection when refused. */
  connect(path: string, subprotocols?: string[]): Promise<{ handshake: Handshake; connection: Connection | null }>;
  close(): Promise<void>;
}

function observe(event: { type: string; text?: unknown; bytes?: unknown; code?: unknown; reason?: unknown }): Observed {
  if (event.type === 'websocket.close') return { close: (event.code as number | undefined) ?? 1000, reason: (event.reason as string | undefined) ?? '' };
  if (typeof event.text === 'string') return { text: event.text };
  return { bytes: Buffer.from(event.bytes as Uint8Array).toString('hex') };
}

export function communicatorDriver(app: Application): Driver {
  return {
    kind: 'communicator',
    async connect(path, subprotocols = []) {
      const comm = new WebsocketCommunicator(app, path, { subprotocols });
      const result = await comm.connect(2_000);
      if (!result.connected) return { handshake: { connected: false, status: result.status }, connection: null };
      const connection: Connection = {
        send: (text) => comm.sendTo({ text }),
        sendBytes: (bytes) => comm.sendTo({ bytes }),
        async next() {
          return observe(await comm.receiveOutput(2_000, 'a frame or a close'));
        },
        async disconnect(code) {
          try {
            await comm.disconnect(code, 2_000);
          } catch (error) {
            // The server logs an application's error (onError); the client sees only the close.
            if (error instanceof UnexpectedOutput) throw error;
          }
        },
      };
      return { handshake: { connected: true, subprotocol: result.subprotocol }, connection };
    },
    async close() {},
  };
}

export async function serverDriver(app: Application): Promise<Driver & { server: StartedServer }> {
  const server = await startServer(app);
  return {
    kind: 'server',
    server,
    async connect(path, subprotocols = []) {
      const outcome = await tryConnect(`${server.url}${path}`, { protocols: subprotocols });
      if (!outcome.ok) return { handshake: { connected: false, status: outcome.status }, connection: null };
      const client: TestClient = outcome.client;
      let closedSeen = false;
      const connection: Connection = {
        send: async (text) => client.send(text),
        sendBytes: async (bytes) => client.send(bytes),
        async next() {
          try {
            const message = await client.nextMessage(2_000);
            return message.text !== undefined ? { text: message.text } : { bytes: Buffer.from(message.bytes!).toString('hex') };
          } catch (error) {
            if (client.ws.readyState < 2) throw error;
            closedSeen = true;
            const info = await client.closed(2_000);
            return { close: info.code, reason: info.reason };
          }
        },
        async disconnect(code) {
          if (!closedSeen) await client.close(code, '', 2_000);
        },
      };
      return { handshake: { connected: true, subprotocol: client.ws.protocol === '' ? null : client.ws.protocol }, connection };
    },
    close: () => server.close(),
  };
}

/** What consumers in a case record (handler calls, disconnect codes), with event-driven waits on it. */
export class Log {
  readonly entries: string[] = [];
  #waiters: Array<{ test: (entry: string) => boolean; resolve: () => void }> = [];

  add(entry: string): void {
    this.entries.push(entry);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.test(entry)) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once an entry equal to `entry` was added (at once if it already was). */
  until(entry: string, timeoutMs = 2_000): Promise<void> {
    if (this.entries.includes(entry)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for log entry ${JSON.stringify(entry)}; log: ${JSON.stringify(this.entries)}`)), timeoutMs);
      this.#waiters.push({ test: (e) => e === entry, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}
