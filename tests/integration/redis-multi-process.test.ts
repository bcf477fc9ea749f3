/**
 * Three real server processes on one Redis, for both layers: WebSocket
 * clients spread over the processes share one room; every message reaches
 * every member exactly once, in order per sender.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { deleteKeysUnder } from '../helpers/redis-keys';
import { stopChild } from '../helpers/stop-child';
import WebSocket from 'ws';
import { testPrefix } from './redis-helpers';
import { scaled } from '../setup/calibrate';

jest.setTimeout(scaled(30_000));

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'redis-chat-server.ts');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const PROCESSES = 3;
const CLIENTS_PER_PROCESS = 2;
const MESSAGES_PER_CLIENT = 25;

interface ServerProcess {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

function startServer(layerUrl: string): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [FIXTURE], { cwd: ROOT, env: { ...process.env, CHANNEL_LAYER_URL: layerUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 15 s:\n${output}`));
    }, scaled(15_000));
    const stop = (): Promise<void> => stopChild(child, 5000);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

function connect(port: number): Promise<{ ws: WebSocket; got: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const got: string[] = [];
    ws.on('message', (data) => got.push(String(data)));
    ws.once('open', () => resolve({ ws, got }));
    ws.once('error', reject);
  });
}

function until(check: () => boolean, what: string, bound = 15_000): Promise<void> {
  const timeoutMs = scaled(bound);
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = (): void => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

describe.each([
  ['RedisChannelLayer', 'redis:'],
  ['RedisPubSubChannelLayer', 'redis+pubsub:'],
])('%s with three server processes', (_name, scheme) => {
  const servers: ServerProcess[] = [];
  const sockets: WebSocket[] = [];
  const prefix = testPrefix('procs');

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await Promise.all(servers.map((s) => s.stop()));
    await deleteKeysUnder(process.env.REDIS_URL!, [prefix]);
  });

  it('delivers every message to every member exactly once, in order per sender', async () => {
    const redis = new URL(process.env.REDIS_URL!);
    const url = `${scheme}//${redis.host}${redis.pathname}?prefix=${encodeURIComponent(prefix)}`;
    servers.push(...(await Promise.all(Array.from({ length: PROCESSES }, () => startServer(url)))));
    const clients = await Promise.all(servers.flatMap((server) => Array.from({ length: CLIENTS_PER_PROCESS }, () => connect(server.port))));
    sockets.push(...clients.map((c) => c.ws));

    // Interleave senders: every client sends its sequence, one frame per client per round.
    for (let seq = 0; seq < MESSAGES_PER_CLIENT; seq++) {
      for (const [id, client] of clients.entries()) client.ws.send(`${id}:${seq}`);
    }
    const total = clients.length * MESSAGES_PER_CLIENT;
    await until(() => clients.every((c) => c.got.length >= total), `${total} messages at every client`);
    // Not a wait-for-delivery: a bounded grace period in which a duplicate, if any, would show up.
    await new Promise((r) => setTimeout(r, 200));

    for (const client of clients) {
      expect(client.got).toHaveLength(total);
      expect(new Set(client.got).size).toBe(total);
      const lastSeq = new Map<string, number>();
      for (const text of client.got) {
        const [sender, seq] = text.split(':');
        expect(Number(seq)).toBe((lastSeq.get(sender!) ?? -1) + 1);
        lastSeq.set(sender!, Number(seq));
      }
    }
  });
});
