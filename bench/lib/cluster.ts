/**
 * One server under test: one or more server processes of the same kind,
 * their URLs, and their CPU time and memory (plus Redis' CPU time when the
 * kind uses Redis).
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MemorySample } from '../servers/server-child';
import { mainThreadCpuSeconds, totalCpuSeconds } from './proc-stats';
import type { BenchRedis, BenchRedisCluster, RedisUnderTest } from './redis';
import { RpcChild } from './rpc';

/** The servers the bench knows. */
export type ServerKind =
  | 'raw'
  | 'rawcork'
  | 'memory'
  | 'phoenix'
  | 'metrics'
  | 'redis'
  | 'pubsub'
  | 'redis1'
  | 'pubsub1'
  | 'pubsub-lf'
  | 'pubsub-async'
  | 'pubsub-async1'
  | 'redis4'
  | 'pubsub4'
  | 'socketio-redis4'
  | 'pubsub-cluster'
  | 'socketio'
  | 'socketio-redis'
  | 'socketio-redis1'
  | 'memory-history'
  | 'redis-history'
  | 'pubsub-history';

export interface ServerKindInfo {
  label: string;
  script: string;
  args: string[];
  processes: number;
  usesRedis: boolean;
  /** What the load generator speaks to it. Default `tutorial`. */
  protocol?: 'tutorial' | 'phoenix' | 'socketio';
  /** Runs on the bench's private Redis Cluster instead of the single Redis. */
  redisCluster?: boolean;
  /** The Socket.IO server of the same shape (layer kind, process count): figures show a ratio to it too. */
  peer?: ServerKind;
}

export const SERVER_KINDS: Record<ServerKind, ServerKindInfo> = {
  raw: { label: 'raw ws', script: 'raw-ws-server.ts', args: [], processes: 1, usesRedis: false },
  // Reference only (ratios stay against `raw`): the same server corking each member's socket per tick, as Switchyard does.
  rawcork: { label: 'raw ws + cork (reference)', script: 'raw-ws-server.ts', args: ['cork'], processes: 1, usesRedis: false },
  memory: { label: 'switchyard memory', script: 'switchyard-server.ts', args: ['memory'], processes: 1, usesRedis: false, peer: 'socketio' },
  // The Phoenix protocol (phoenixSocket + a channel broadcasting each push) on the memory layer; compared with `memory`.
  phoenix: { label: 'switchyard phoenix memory', script: 'switchyard-server.ts', args: ['memory', 'phoenix'], processes: 1, usesRedis: false, protocol: 'phoenix' },
  // Only when asked for (--only-servers memory,metrics): the memory server with metrics: true, scraped every 5 s.
  metrics: { label: 'switchyard memory + metrics', script: 'switchyard-server.ts', args: ['memory', 'metrics'], processes: 1, usesRedis: false },
  redis: { label: 'switchyard redis core ×2', script: 'switchyard-server.ts', args: ['redis'], processes: 2, usesRedis: true, peer: 'socketio-redis' },
  pubsub: { label: 'switchyard redis pub/sub ×2', script: 'switchyard-server.ts', args: ['pubsub'], processes: 2, usesRedis: true, peer: 'socketio-redis' },
  // One process on Redis (asked for by name): the layer's own cost without the second process' share.
  redis1: { label: 'switchyard redis core ×1', script: 'switchyard-server.ts', args: ['redis'], processes: 1, usesRedis: true, peer: 'socketio-redis1' },
  // The pub/sub layer with localFirst: true (own members served before Redis answers the PUBLISH).
  'pubsub-lf': { label: 'switchyard redis pub/sub ×2 localFirst', script: 'switchyard-server.ts', args: ['pubsub', 'localfirst'], processes: 2, usesRedis: true, peer: 'socketio-redis' },
  // The pub/sub layer with publishAck: 'written' (groupSend resolves once the PUBLISH is written, as Socket.IO's adapter).
  'pubsub-async': { label: "switchyard redis pub/sub ×2 publishAck 'written'", script: 'switchyard-server.ts', args: ['pubsub', 'written'], processes: 2, usesRedis: true, peer: 'socketio-redis' },
  'pubsub-async1': { label: "switchyard redis pub/sub ×1 publishAck 'written'", script: 'switchyard-server.ts', args: ['pubsub', 'written'], processes: 1, usesRedis: true, peer: 'socketio-redis1' },
  pubsub1: { label: 'switchyard redis pub/sub ×1', script: 'switchyard-server.ts', args: ['pubsub'], processes: 1, usesRedis: true, peer: 'socketio-redis1' },
  // Four processes on one Redis (asked for by name): correctness and Redis cost; on 2 cores they prove nothing about throughput.
  redis4: { label: 'switchyard redis core ×4', script: 'switchyard-server.ts', args: ['redis'], processes: 4, usesRedis: true, peer: 'socketio-redis4' },
  pubsub4: { label: 'switchyard redis pub/sub ×4', script: 'switchyard-server.ts', args: ['pubsub'], processes: 4, usesRedis: true, peer: 'socketio-redis4' },
  'socketio-redis4': { label: 'socket.io 4 + redis-adapter ×4', script: 'socketio-server.ts', args: ['redis'], processes: 4, usesRedis: true, protocol: 'socketio' },
  // The pub/sub layer on a private six-node Redis Cluster (sharded pub/sub), two processes: Redis cost and correctness.
  'pubsub-cluster': { label: 'switchyard redis pub/sub ×2 on Redis Cluster (3 masters + 3 replicas)', script: 'switchyard-server.ts', args: ['pubsub'], processes: 2, usesRedis: true, redisCluster: true },
  // The Socket.IO 4 peer (bench/servers/socketio-server.ts): the same chat protocol in Socket.IO's framing.
  socketio: { label: 'socket.io 4 memory', script: 'socketio-server.ts', args: ['memory'], processes: 1, usesRedis: false, protocol: 'socketio' },
  'socketio-redis': { label: 'socket.io 4 + redis-adapter ×2', script: 'socketio-server.ts', args: ['redis'], processes: 2, usesRedis: true, protocol: 'socketio' },
  'socketio-redis1': { label: 'socket.io 4 + redis-adapter ×1', script: 'socketio-server.ts', args: ['redis'], processes: 1, usesRedis: true, protocol: 'socketio' },
  // The same servers with history on every chat room (size 100, ttl 300 s): the cost of history, and the recovery scenario.
  'memory-history': { label: 'switchyard memory + history', script: 'switchyard-server.ts', args: ['memory', 'history'], processes: 1, usesRedis: false },
  'redis-history': { label: 'switchyard redis core ×2 + history', script: 'switchyard-server.ts', args: ['redis', 'history'], processes: 2, usesRedis: true },
  'pubsub-history': { label: 'switchyard redis pub/sub ×2 + history', script: 'switchyard-server.ts', args: ['pubsub', 'history'], processes: 2, usesRedis: true },
};

export const ALL_KINDS = Object.keys(SERVER_KINDS) as ServerKind[];

/** Asked for by name only: the metrics and history variants, and the one-process Redis rows. */
const BY_NAME_ONLY = new Set<ServerKind>(['metrics', 'redis1', 'pubsub1', 'pubsub-lf', 'pubsub-async', 'pubsub-async1', 'socketio-redis1', 'redis4', 'pubsub4', 'socketio-redis4', 'pubsub-cluster']);

/** What runs without --only-servers. */
export const DEFAULT_KINDS = ALL_KINDS.filter((kind) => !BY_NAME_ONLY.has(kind) && !SERVER_KINDS[kind].args.includes('history'));

/** How to start server processes. */
export interface ClusterOptions {
  redis: BenchRedis | null;
  /** Started when a kind asks for it (`redisCluster`). */
  redisCluster?: () => Promise<BenchRedisCluster>;
  fdLimit: number;
  verbose: boolean;
  /** Extra node flags for the server processes (e.g. --cpu-prof). */
  nodeFlags: string[];
}

export class ServerCluster {
  readonly kind: ServerKind;
  readonly children: RpcChild[];
  readonly urls: string[];
  readonly prefix: string;
  readonly redis: RedisUnderTest | null;

  private constructor(kind: ServerKind, children: RpcChild[], prefix: string, redis: RedisUnderTest | null) {
    this.kind = kind;
    this.children = children;
    this.urls = children.map((c) => `ws://127.0.0.1:${c.info!.port}`);
    this.prefix = prefix;
    this.redis = redis;
  }

  static async start(kind: ServerKind, options: ClusterOptions): Promise<ServerCluster> {
    const info = SERVER_KINDS[kind];
    if (info.usesRedis && !options.redis && !info.redisCluster) throw new Error(`${kind} needs Redis`);
    const cluster = info.redisCluster ? await options.redisCluster!() : null;
    const redis: RedisUnderTest | null = cluster ?? options.redis;
    const prefix = `swbench${process.pid}${randomBytes(3).toString('hex')}`;
    const script = path.join(__dirname, '..', 'servers', info.script);
    const children = Array.from({ length: info.processes }, (_, i) =>
      RpcChild.spawn(`${kind}#${i}`, script, info.args, {
        fdLimit: options.fdLimit,
        verbose: options.verbose,
        nodeFlags: options.nodeFlags,
        env: { BENCH_REDIS_URL: redis?.url ?? '', BENCH_PREFIX: prefix, ...(cluster ? { BENCH_REDIS_CLUSTER_URLS: cluster.urls.join(',') } : {}) },
      }),
    );
    try {
      await Promise.all(children.map((c) => c.ready()));
    } catch (error) {
      for (const c of children) c.kill();
      throw error;
    }
    return new ServerCluster(kind, children, prefix, info.usesRedis ? redis : null);
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid);
  }

  /** Smallest open-files limit among the server processes. */
  get fdLimit(): number {
    return Math.min(...this.children.map((c) => c.info!.fdLimit));
  }

  /** CPU seconds of the server processes so far. */
  serverCpu(): number {
    return totalCpuSeconds(this.pids);
  }

  /** CPU seconds of the server processes' main (JS) threads so far. */
  serverMainThreadCpu(): number {
    let sum = 0;
    for (const pid of this.pids) sum += mainThreadCpuSeconds(pid);
    return sum;
  }

  /** CPU seconds of redis-server so far (0 when the kind uses no Redis or Redis is not local). */
  redisCpu(): number {
    return this.redis && this.redis.pids.length > 0 ? totalCpuSeconds(this.redis.pids) : 0;
  }

  /** Memory summed over the server processes, after a full GC in each. */
  async memory(): Promise<MemorySample> {
    const samples = await Promise.all(this.children.map((c) => c.call<MemorySample>('memory', {}, 30_000)));
    const sum: MemorySample = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
    for (const s of samples) for (const k of Object.keys(sum) as Array<keyof MemorySample>) sum[k] += s[k];
    return sum;
  }

  /** Stop every process and delete this cluster's Redis keys. */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop()));
    if (this.redis && SERVER_KINDS[this.kind].usesRedis) await this.redis.deletePrefix(this.prefix).catch(() => 0);
  }

  kill(): void {
    for (const c of this.children) c.kill();
  }
}
