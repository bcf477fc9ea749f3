/**
 * Opt-in scale scenarios (they take minutes):
 *
 * - `c100k`: 100,000 WebSocket connections held by ONE server process (the
 *   memory layer) in 1,000 rooms, opened by several load generators, each
 *   from its own loopback source address (127.0.0.2, .3, ...: one ephemeral
 *   port range each), then one sender per room broadcasting while all are
 *   held. Figures: connect time, memory per connection, lost deliveries.
 * - `room10k`: one room of 10,000 members, one sender at a fixed rate; the
 *   figure is the p99 of send-to-delivery latency over all members.
 *
 * The server's open-files limit is raised for the run (`ulimit -n`, which
 * needs root or a hard limit above it); see docs/scaling.md for the sysctl
 * and ulimit settings a deployment needs.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConnectResult, RoomPlan, SendResult } from '../loadgen/loadgen';
import { SERVER_KINDS, type ServerCluster, type ServerKind } from '../lib/cluster';
import { cpuSeconds } from '../lib/proc-stats';
import { RpcChild } from '../lib/rpc';
import { closeClients, connectRooms, measuredSend, sendFigures, type Figures, type Scenario } from '../lib/scenario';

/** Open-files limit for the c100k server and load generators. */
export const C100K_FD_LIMIT = 262_144;

type StartCluster = (kind: ServerKind, fdLimit?: number) => Promise<ServerCluster>;

export function c100kScenario(startCluster: StartCluster): Scenario {
  return {
    name: 'c100k',
    optIn: true,
    title: (sizes) =>
      `${(Number(process.env.BENCH_C100K_CONNECTIONS) || sizes.c100k.connections).toLocaleString('en-US')} connections on one process in rooms of ${sizes.c100k.connections / sizes.c100k.rooms} from ${sizes.c100k.loadgens} load generators (127.0.0.x sources), then 1 sender per room × ${sizes.c100k.messages} messages while all are held`,
    appliesTo: (kind) => kind === 'memory',
    freshServers: () => true,
    async run(ctx) {
      // BENCH_C100K_CONNECTIONS scales the run down (rooms of 100 kept) where a process may not hold
      // 100,000 descriptors: a container without CAP_SYS_RESOURCE cannot raise its hard limit.
      const override = Number(process.env.BENCH_C100K_CONNECTIONS);
      const c = Number.isInteger(override) && override > 0
        ? { ...ctx.sizes.c100k, connections: override, rooms: Math.max(1, Math.round(override / (ctx.sizes.c100k.connections / ctx.sizes.c100k.rooms))) }
        : ctx.sizes.c100k;
      ctx.step('starting a fresh server');
      const cluster = await startCluster(ctx.kind, C100K_FD_LIMIT);
      const loadgens: RpcChild[] = [];
      try {
        if (cluster.fdLimit < c.connections + 256) {
          throw new Error(
            `the server's open-files limit is ${cluster.fdLimit}, below ${c.connections + 256}: run as root or raise the hard limit (ulimit -Hn; LimitNOFILE=), ` +
              'or scale the run down with BENCH_C100K_CONNECTIONS',
          );
        }
        const roomsPer = Math.ceil(c.rooms / c.loadgens);
        const perRoom = Math.ceil(c.connections / c.rooms);
        const perLoadgen = roomsPer * perRoom;
        ctx.step(`starting ${c.loadgens} load generators`);
        for (let i = 0; i < c.loadgens; i++) {
          loadgens.push(
            RpcChild.spawn(`loadgen-c100k#${i}`, path.join(__dirname, '..', 'loadgen', 'loadgen.ts'), [], {
              fdLimit: perLoadgen + 1024,
              env: { BENCH_LOADGEN_MAX: String(perLoadgen) },
            }),
          );
        }
        await Promise.all(loadgens.map((lg) => lg.ready()));
        // Warm up (JIT, lazily loaded modules) before the memory baseline.
        await connectRooms(ctx, cluster, [{ name: 'c100k-warmup', clients: 100, senders: 1 }]);
        await ctx.loadgen.call('send', { messagesPerSender: 20, window: 4, maxSeconds: 5, drainSeconds: 5 }, 30_000);
        await closeClients(ctx);
        const before = await cluster.memory();

        ctx.step(`opening ${c.connections.toLocaleString('en-US')} connections`);
        const t0 = performance.now();
        const progress = setInterval(() => ctx.step(`opening connections: ${Math.round((performance.now() - t0) / 1000)} s`), 5000);
        let connected: ConnectResult[];
        try {
          connected = await Promise.all(
            loadgens.map((lg, i) => {
              const rooms: RoomPlan[] = [];
              for (let r = i * roomsPer; r < Math.min(c.rooms, (i + 1) * roomsPer); r++) rooms.push({ name: `c100k-${r}`, clients: perRoom, senders: 1 });
              return lg.call<ConnectResult>(
                'connect',
                { servers: cluster.urls, rooms, concurrency: c.concurrency, timeoutMs: c.connectTimeoutS * 1000, localAddresses: [`127.0.0.${2 + i}`] },
                (c.connectTimeoutS + 300) * 1000,
              );
            }),
          );
        } finally {
          clearInterval(progress);
        }
        const connectMs = performance.now() - t0;
        const n = connected.reduce((sum, r) => sum + r.connections, 0);
        ctx.step(`${n} connected; reading memory`);
        const after = await cluster.memory();

        ctx.step('broadcasting to every room');
        const s0 = cluster.serverCpu();
        const l0 = loadgens.reduce((sum, lg) => sum + cpuSeconds(lg.pid), 0);
        const sent = await Promise.all(
          loadgens.map((lg) => lg.call<SendResult>('send', { messagesPerSender: c.messages, window: 1, maxSeconds: 60, drainSeconds: 30 }, 150_000)),
        );
        const serverCpuS = cluster.serverCpu() - s0;
        const loadgenCpuS = loadgens.reduce((sum, lg) => sum + cpuSeconds(lg.pid), 0) - l0;
        const total = (k: 'delivered' | 'lost' | 'duplicated' | 'outOfOrder' | 'unexpected') => sent.reduce((sum, r) => sum + r[k], 0);
        const delivered = total('delivered');
        const figures: Figures = {
          connections: n,
          connectSeconds: connectMs / 1000,
          connectPerSec: (n / connectMs) * 1000,
          rssPerConn: (after.rss - before.rss) / n,
          heapPerConn: (after.heapUsed - before.heapUsed) / n,
          rssMiB: after.rss / 2 ** 20,
          delivered,
          lost: total('lost'),
          duplicated: total('duplicated'),
          outOfOrder: total('outOfOrder'),
          unexpected: total('unexpected'),
          // The slowest load generator's figure: each one sees only its own rooms.
          p99Ms: Math.max(...sent.map((r) => r.latencyMs.p99)),
          maxMs: Math.max(...sent.map((r) => r.latencyMs.max)),
          cpuUsPerDelivery: delivered > 0 ? (serverCpuS / delivered) * 1e6 : Number.NaN,
          loadgenCorePct: (loadgenCpuS / Math.max(...sent.map((r) => r.phaseMs / 1000))) * 100,
        };
        return figures;
      } finally {
        ctx.step('closing');
        await Promise.all(loadgens.map((lg) => lg.call('closeAll', { timeoutMs: 20_000 }, 120_000).catch(() => undefined)));
        await Promise.all(loadgens.map((lg) => lg.stop()));
        await cluster.stop();
      }
    },
  };
}

/** One room of 10,000 members: a broadcast reaches all of them within what p99? */
export const room10k: Scenario = {
  name: 'room10k',
  optIn: true,
  title: (sizes) => `1 room × ${sizes.room10k.clients.toLocaleString('en-US')} clients, 1 sender at ${sizes.room10k.ratePerSec} messages/s for ${sizes.room10k.seconds} s`,
  appliesTo: (kind) => ['raw', 'memory', 'pubsub', 'socketio', 'socketio-redis'].includes(kind),
  async run(ctx) {
    const r = ctx.sizes.room10k;
    ctx.step(`connecting ${r.clients}`);
    await connectRooms(ctx, ctx.cluster, [{ name: 'room10k', clients: r.clients, senders: 1 }]);
    try {
      ctx.step('sending at a fixed rate');
      const m = await measuredSend(ctx, ctx.cluster, {
        messagesPerSender: Math.ceil(r.ratePerSec * r.seconds),
        window: 0,
        ratePerSender: r.ratePerSec,
        maxSeconds: r.seconds + 2,
        drainSeconds: ctx.sizes.drainSeconds,
      });
      return sendFigures(m, SERVER_KINDS[ctx.kind].usesRedis);
    } finally {
      ctx.step('closing');
      await closeClients(ctx);
    }
  },
};
