/**
 * Idle connections: memory per connection above an empty (warmed-up) server,
 * then the many-rooms chat running while all of them are held.
 */
import path from 'node:path';
import { SERVER_KINDS, ServerCluster } from '../lib/cluster';
import { closeClients, connectRooms, measuredSend, sendFigures, type Scenario } from '../lib/scenario';

export function idleScenario(startCluster: (kind: import('../lib/cluster').ServerKind) => Promise<ServerCluster>): Scenario {
  return {
    name: 'idle',
    title: (sizes) =>
      `${sizes.idle.connections} connections in ${sizes.idle.rooms} rooms: memory per connection, then 1 sender per room × ${sizes.idle.chatMessages} messages while all are held`,
    appliesTo: (kind) => kind !== 'rawcork' && kind !== 'phoenix',
    freshServers: (sizes) => sizes.idle.freshServers,
    async run(ctx) {
      const idle = ctx.sizes.idle;
      const fresh = idle.freshServers;
      if (fresh) ctx.step('starting fresh servers');
      const cluster = fresh ? await startCluster(ctx.kind) : ctx.cluster;
      try {
        // Warm up: load the code paths (JIT, lazily required modules) before the baseline.
        ctx.step('warming up');
        await connectRooms(ctx, cluster, [{ name: 'warmup', clients: idle.warmup, senders: 1 }]);
        await ctx.loadgen.call('send', { messagesPerSender: 20, window: 4, maxSeconds: 5, drainSeconds: 5 }, 30_000);
        await closeClients(ctx);
        const before = await cluster.memory();
        const snap = ctx.heapSnapshots;
        const snapshot = async (when: string) => {
          if (!snap) return;
          ctx.step(`heap snapshot (${when})`);
          await Promise.all(cluster.children.map((c, i) => c.call('heapSnapshot', { file: path.join(snap.dir, `${snap.name}-p${i}-${when}.heapsnapshot`) }, 300_000)));
        };
        await snapshot('before');
        ctx.step(`opening ${idle.connections} connections`);
        const perRoom = Math.ceil(idle.connections / idle.rooms);
        const rooms = Array.from({ length: idle.rooms }, (_, i) => ({ name: `idle-${i}`, clients: perRoom, senders: 1 }));
        const connected = await connectRooms(ctx, cluster, rooms);
        try {
          const after = await cluster.memory();
          await snapshot(`after-${connected.connections}`);
          const n = connected.connections;
          ctx.step(`chat with ${n} connections held`);
          const m = await measuredSend(ctx, cluster, {
            messagesPerSender: idle.chatMessages,
            window: 2,
            maxSeconds: idle.maxSeconds,
            drainSeconds: ctx.sizes.drainSeconds,
          });
          const chat = sendFigures(m, SERVER_KINDS[ctx.kind].usesRedis);
          return {
            connections: n,
            connectPerSec: connected.perSec,
            rssPerConn: (after.rss - before.rss) / n,
            heapPerConn: (after.heapUsed - before.heapUsed) / n,
            externalPerConn: (after.external - before.external) / n,
            baselineRssMiB: before.rss / 2 ** 20,
            deliveriesPerSec: chat.deliveriesPerSec!,
            cpuUsPerDelivery: chat.cpuUsPerDelivery!,
            p99Ms: chat.p99Ms!,
            delivered: chat.delivered!,
            lost: chat.lost!,
            duplicated: chat.duplicated!,
            outOfOrder: chat.outOfOrder!,
            unexpected: chat.unexpected!,
          };
        } finally {
          ctx.step('closing');
          await closeClients(ctx);
        }
      } finally {
        if (fresh) await cluster.stop();
      }
    },
  };
}
