/**
 * The Redis the bench measures against. With REDIS_URL (or --redis-url) set it
 * uses that server; otherwise it starts a private throwaway `redis-server` so
 * that INFO commandstats deltas and Redis' CPU time belong to the bench alone
 * (a shared Redis also serves whatever else runs on the machine). With no
 * binary it falls back to redis://127.0.0.1:6379.
 */
import { createClient } from 'redis';
import {
  DEFAULT_REDIS_URL,
  pingRedis,
  redisServerBinary,
  startThrowawayCluster,
  startThrowawayRedis,
  type ThrowawayCluster,
  type ThrowawayRedis,
} from '../../tests/setup/redis-server';
import { hasProc } from './proc-stats';

type Client = ReturnType<typeof createClient>;

/** What the bench reads from the Redis under a server: a single server or every node of a cluster. */
export interface RedisUnderTest {
  readonly url: string;
  /** Local redis-server pids whose CPU time counts (empty when not local). */
  readonly pids: number[];
  commandCalls(): Promise<Map<string, number>>;
  netBytes(): Promise<{ input: number; output: number }>;
  waitQuiet(quietMs?: number, maxMs?: number): Promise<void>;
  deletePrefix(prefix: string): Promise<number>;
}

/** A Redis the bench talks to, with the statistics it reads. */
export class BenchRedis implements RedisUnderTest {
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

  get pids(): number[] {
    return this.pid === null ? [] : [this.pid];
  }

  /** Calls per command so far (`INFO commandstats`). */
  async commandCalls(): Promise<Map<string, number>> {
    return commandCallsOf(this.#client);
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
    return netBytesOf(this.#client);
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

async function commandCallsOf(client: Client): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const [key, value] of parseInfo(await client.info('commandstats'))) {
    const m = /calls=(\d+)/.exec(value);
    if (m && key.startsWith('cmdstat_')) calls.set(key.slice('cmdstat_'.length), Number(m[1]));
  }
  return calls;
}

async function netBytesOf(client: Client): Promise<{ input: number; output: number }> {
  const stats = parseInfo(await client.info('stats'));
  return { input: Number(stats.get('total_net_input_bytes')), output: Number(stats.get('total_net_output_bytes')) };
}

/**
 * A private six-node Redis Cluster (three masters, one replica each; the
 * tests' own setup): figures are summed over every node, replicas included
 * (replication is part of what a cluster costs).
 */
export class BenchRedisCluster implements RedisUnderTest {
  readonly url: string;
  readonly urls: string[];
  readonly pids: number[];
  #cluster: ThrowawayCluster;
  #clients: Client[];

  private constructor(cluster: ThrowawayCluster, clients: Client[]) {
    this.#cluster = cluster;
    this.#clients = clients;
    this.urls = cluster.urls;
    this.url = cluster.urls[0]!;
    this.pids = cluster.servers.map((s) => s.process.pid!).filter((pid) => hasProc(pid));
  }

  static async start(): Promise<BenchRedisCluster> {
    const cluster = await startThrowawayCluster();
    const clients = cluster.urls.map((url) => {
      const client = createClient({ url });
      client.on('error', () => undefined);
      return client;
    });
    await Promise.all(clients.map((c) => c.connect()));
    return new BenchRedisCluster(cluster, clients);
  }

  async commandCalls(): Promise<Map<string, number>> {
    const sum = new Map<string, number>();
    for (const calls of await Promise.all(this.#clients.map(commandCallsOf))) for (const [cmd, n] of calls) sum.set(cmd, (sum.get(cmd) ?? 0) + n);
    return sum;
  }

  async netBytes(): Promise<{ input: number; output: number }> {
    const all = await Promise.all(this.#clients.map(netBytesOf));
    return { input: all.reduce((n, b) => n + b.input, 0), output: all.reduce((n, b) => n + b.output, 0) };
  }

  async waitQuiet(quietMs = 100, maxMs = 3000): Promise<void> {
    const total = async () => (await Promise.all(this.#clients.map(async (c) => Number(parseInfo(await c.info('stats')).get('total_commands_processed'))))).reduce((a, b) => a + b, 0);
    const deadline = Date.now() + maxMs;
    let last = await total();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, quietMs));
      const now = await total();
      // Our own INFO per node per poll, plus the nodes' cluster bus (not counted as commands).
      if (now - last <= this.#clients.length) return;
      last = now;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for (const client of this.#clients) {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
        // A replica lists its master's keys but refuses writes: only the owner deletes.
        for (const key of keys) deleted += await client.del(key).catch(() => 0);
      }
    }
    return deleted;
  }

  kill(): void {
    for (const s of this.#cluster.servers) s.process.kill('SIGKILL');
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.quit().catch(() => undefined)));
    await this.#cluster.stop();
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
