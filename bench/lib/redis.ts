/**
 * The Redis the bench measures against. With REDIS_URL (or --redis-url) set it
 * uses that server; otherwise it starts a private throwaway `redis-server` so
 * that INFO commandstats deltas and Redis' CPU time belong to the bench alone
 * (a shared Redis also serves whatever else runs on the machine). With no
 * binary it falls back to redis://127.0.0.1:6379.
 */
import { createClient } from 'redis';
import { DEFAULT_REDIS_URL, pingRedis, redisServerBinary, startThrowawayRedis, type ThrowawayRedis } from '../../tests/setup/redis-server';
import { hasProc } from './proc-stats';

type Client = ReturnType<typeof createClient>;

/** A Redis the bench talks to, with the statistics it reads. */
export class BenchRedis {
  readonly url: string;
  /** redis-server's pid when it runs on this machine (for CPU time), else null. */
  readonly pid: number | null;
  readonly privateServer: boolean;
  #client: Client;
  #throwaway: ThrowawayRedis | null;

  private constructor(url: string, pid: number | null, client: Client, throwaway: ThrowawayRedis | null) {
    this.url = url;
    this.pid = pid;
    this.#client = client;
    this.#throwaway = throwaway;
    this.privateServer = throwaway !== null;
  }

  /** Find or start a Redis (see the module comment). */
  static async open(explicitUrl: string | undefined): Promise<BenchRedis> {
    let throwaway: ThrowawayRedis | null = null;
    let url = explicitUrl;
    if (!url) {
      if (redisServerBinary()) {
        throwaway = await startThrowawayRedis();
        url = throwaway.url;
      } else {
        url = DEFAULT_REDIS_URL;
      }
    }
    if (!(await pingRedis(url, 2000))) {
      await throwaway?.stop();
      throw new Error(`no Redis answers at ${url}: set REDIS_URL to a running server, or install redis-server so the bench can start its own`);
    }
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    const server = parseInfo(await client.info('server'));
    const host = new URL(url).hostname;
    const pid = Number(server.get('process_id'));
    const local = (host === '127.0.0.1' || host === 'localhost' || host === '::1') && Number.isFinite(pid) && hasProc(pid);
    return new BenchRedis(url, local ? pid : null, client, throwaway);
  }

  /** Calls per command so far (`INFO commandstats`). */
  async commandCalls(): Promise<Map<string, number>> {
    const calls = new Map<string, number>();
    for (const [key, value] of parseInfo(await this.#client.info('commandstats'))) {
      const m = /calls=(\d+)/.exec(value);
      if (m && key.startsWith('cmdstat_')) calls.set(key.slice('cmdstat_'.length), Number(m[1]));
    }
    return calls;
  }

  /**
   * Wait (bounded) until Redis has processed no command but our own INFO for
   * `quietMs`: work left over from an earlier step (say, group discards after
   * a churn) must not count against the next measurement.
   */
  async waitQuiet(quietMs = 100, maxMs = 3000): Promise<void> {
    const total = async () => Number(parseInfo(await this.#client.info('stats')).get('total_commands_processed'));
    const deadline = Date.now() + maxMs;
    let last = await total();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, quietMs));
      const now = await total();
      // One INFO of ours per poll.
      if (now - last <= 1) return;
      last = now;
    }
  }

  /** Bytes Redis has read from and written to its clients so far (`INFO stats`; includes the bench's own INFO replies). */
  async netBytes(): Promise<{ input: number; output: number }> {
    const stats = parseInfo(await this.#client.info('stats'));
    return { input: Number(stats.get('total_net_input_bytes')), output: Number(stats.get('total_net_output_bytes')) };
  }

  /** Clients connected right now (to warn when a shared Redis is busy). */
  async connectedClients(): Promise<number> {
    return Number(parseInfo(await this.#client.info('clients')).get('connected_clients'));
  }

  /** Delete every key under `prefix`; returns how many. */
  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    const batch: string[] = [];
    for await (const keys of this.#client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      batch.push(...keys);
      if (batch.length >= 1000) deleted += await this.#client.del(batch.splice(0));
    }
    if (batch.length) deleted += await this.#client.del(batch);
    return deleted;
  }

  /** Synchronous last resort on the way out: kill a private redis-server. */
  kill(): void {
    this.#throwaway?.process.kill('SIGKILL');
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => undefined);
    await this.#throwaway?.stop();
  }
}

/** `key:value` lines of an INFO section. */
function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

/** Per-command differences between two commandstats samples, minus the bench's own INFO calls. */
export function commandDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [cmd, calls] of after) {
    if (cmd === 'info') continue;
    const d = calls - (before.get(cmd) ?? 0);
    if (d > 0) delta.set(cmd, d);
  }
  return delta;
}
