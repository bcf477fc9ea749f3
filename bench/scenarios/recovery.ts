/**
 * Recovery after a disconnect: N clients join a room with history and leave,
 * M messages are broadcast while they are away, then all N come back at once
 * with their last position and each gets the M messages replayed. Figures:
 * the time until every client has all of them, per-client recovery time,
 * Redis commands per recovered message and CPU per recovered message; every
 * replayed message is checked (lost, duplicated, out of order).
 *
 * Run by the parent with its own `ws` clients (the load generator speaks
 * only the plain chat protocol); only on the `*-history` servers.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { SERVER_KINDS } from '../lib/cluster';
import { commandDelta } from '../lib/redis';
import type { Figures, Scenario } from '../lib/scenario';
import { cpuSeconds } from '../lib/proc-stats';

interface Position {
  offset: number;
  epoch: string;
}

type Frame = { type?: string; message?: string; offset?: number; epoch?: string; recovered?: boolean };

/** A client that buffers frames so they can be awaited with a bound. */
class Client {
  readonly ws: WebSocket;
  readonly #frames: Frame[] = [];
  #wake: (() => void) | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.#frames.push(JSON.parse(String(data)) as Frame);
      this.#wake?.();
    });
  }

  static open(url: string, timeoutMs: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new Client(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no handshake with ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  async next(deadline: number): Promise<Frame> {
    while (this.#frames.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    return this.#frames.shift()!;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const recovery: Scenario = {
  name: 'recovery',
  title: (sizes) =>
    `${sizes.recovery.clients} clients leave, ${sizes.recovery.messages} messages are broadcast, all come back with their last position`,
  appliesTo: (kind) => SERVER_KINDS[kind].args.includes('history'),
  async run(ctx) {
    const { clients, messages, maxSeconds } = ctx.sizes.recovery;
    const urls = ctx.cluster.urls;
    const room = `r${Date.now().toString(36)}`;
    const path = `/ws/recover/${room}/`;
    const deadline = Date.now() + maxSeconds * 1000;

    ctx.step('joining');
    const positions: Position[] = await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const client = await Client.open(`${urls[i % urls.length]}${path}`, 15_000);
        const joined = await client.next(deadline);
        await client.close();
        return { offset: joined.offset!, epoch: joined.epoch! };
      }),
    );

    ctx.step('broadcasting while they are away');
    const sender = await Client.open(`${urls[0]}${path}`, 15_000);
    await sender.next(deadline); // its own join
    for (let i = 1; i <= messages; i++) sender.ws.send(JSON.stringify({ message: `m${i}` }));
    // Every message is stored once the sender has it back.
    for (let i = 1; i <= messages; i++) await sender.next(deadline);
    await sender.close();

    ctx.step('reconnecting');
    const redis = SERVER_KINDS[ctx.kind].usesRedis ? ctx.redis : null;
    await redis?.waitQuiet();
    const before = redis ? await redis.commandCalls() : null;
    const s0 = ctx.cluster.serverCpu();
    const r0 = ctx.cluster.redisCpu();
    const l0 = cpuSeconds(process.pid);
    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let notRecovered = 0;
    const started = performance.now();
    const times = await Promise.all(
      positions.map(async (since, i) => {
        const t0 = performance.now();
        const query = `?since_offset=${since.offset}&since_epoch=${encodeURIComponent(since.epoch)}`;
        const client = await Client.open(`${urls[i % urls.length]}${path}${query}`, 15_000);
        const joined = await client.next(deadline);
        if (joined.recovered !== true) notRecovered++;
        const got: number[] = [];
        while (got.length < messages) {
          const frame = await client.next(deadline).catch(() => null);
          if (frame === null) break;
          got.push(Number(frame.message!.slice(1)));
        }
        const t = performance.now() - t0;
        await client.close();
        const seen = new Set(got);
        lost += messages - seen.size;
        duplicated += got.length - seen.size;
        for (let k = 1; k < got.length; k++) if (got[k]! < got[k - 1]!) outOfOrder++;
        return t;
      }),
    );
    const totalMs = performance.now() - started;
    const serverCpuS = ctx.cluster.serverCpu() - s0;
    const redisCpuS = ctx.cluster.redisCpu() - r0;
    const parentCpuS = cpuSeconds(process.pid) - l0;
    const recovered = clients * messages;
    const sorted = [...times].sort((a, b) => a - b);
    const figures: Figures = {
      recoverAllMs: totalMs,
      recoverP50Ms: percentile(sorted, 50),
      recoverP99Ms: percentile(sorted, 99),
      recoveredPerSec: recovered / (totalMs / 1000),
      cpuUsPerRecovered: ((serverCpuS + redisCpuS) / recovered) * 1e6,
      loadgenCorePct: (parentCpuS / (totalMs / 1000)) * 100,
      delivered: recovered - lost,
      lost,
      duplicated,
      outOfOrder,
      notRecovered,
    };
    if (redis && before) {
      const delta = commandDelta(before, await redis.commandCalls());
      let total = 0;
      for (const calls of delta.values()) total += calls;
      figures.commandsPerRecovered = total / recovered;
      figures.commandsPerReconnect = total / clients;
    }
    return figures;
  },
};
