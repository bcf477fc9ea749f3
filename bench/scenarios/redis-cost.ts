/**
 * What one groupSend costs Redis, for groups of growing size spread over the
 * two server processes: commands per groupSend from INFO commandstats deltas.
 */
import { SERVER_KINDS } from '../lib/cluster';
import { commandDelta } from '../lib/redis';
import { closeClients, connectRooms, measuredSend, sendFigures, type Figures, type Scenario } from '../lib/scenario';

export const redisCost: Scenario = {
  name: 'redis-cost',
  title: (sizes) =>
    `groupSend to groups of ${sizes.redisCost.groupSizes.join(', ')} members spread over the server's processes (2, or 1 or 4 for the ×1/×4 rows), ${sizes.redisCost.messages} messages each`,
  appliesTo: (kind) => SERVER_KINDS[kind].usesRedis,
  async run(ctx) {
    // The cluster kind reads every node of its Redis Cluster.
    const redis = ctx.cluster.redis ?? ctx.redis!;
    const rc = ctx.sizes.redisCost;
    const figures: Figures = {};
    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let unexpected = 0;
    for (const size of rc.groupSizes) {
      ctx.step(`group of ${size}: connecting`);
      await connectRooms(ctx, ctx.cluster, [{ name: `cost-${size}`, clients: size, senders: 1 }]);
      try {
        ctx.step(`group of ${size}: sending`);
        await redis.waitQuiet();
        const before = await redis.commandCalls();
        const bytesBefore = await redis.netBytes();
        const m = await measuredSend(ctx, ctx.cluster, { messagesPerSender: rc.messages, window: rc.window, maxSeconds: rc.maxSeconds, drainSeconds: ctx.sizes.drainSeconds });
        const bytesAfter = await redis.netBytes();
        const after = await redis.commandCalls();
        const delta = commandDelta(before, after);
        let total = 0;
        for (const calls of delta.values()) total += calls;
        const sent = m.result.sent;
        figures[`commandsPerGroupSend@${size}`] = sent > 0 ? total / sent : Number.NaN;
        // Into Redis (commands, payloads) and out of it (replies, pub/sub deliveries to every subscribed process).
        figures[`bytesInPerGroupSend@${size}`] = sent > 0 ? (bytesAfter.input - bytesBefore.input) / sent : Number.NaN;
        figures[`bytesOutPerGroupSend@${size}`] = sent > 0 ? (bytesAfter.output - bytesBefore.output) / sent : Number.NaN;
        // The three busiest commands, for the JSON (e.g. publish, evalsha, bzpopmin).
        [...delta.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .forEach(([cmd, calls]) => (figures[`cmd:${cmd}@${size}`] = sent > 0 ? calls / sent : Number.NaN));
        const f = sendFigures(m, SERVER_KINDS[ctx.kind].usesRedis);
        figures[`cpuUsPerDelivery@${size}`] = f.cpuUsPerDelivery!;
        figures[`deliveriesPerSec@${size}`] = f.deliveriesPerSec!;
        lost += f.lost!;
        duplicated += f.duplicated!;
        outOfOrder += f.outOfOrder!;
        unexpected += f.unexpected!;
      } finally {
        await closeClients(ctx);
      }
    }
    return { ...figures, lost, duplicated, outOfOrder, unexpected };
  },
};
