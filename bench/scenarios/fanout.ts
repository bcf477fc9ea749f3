/**
 * Throughput scenarios: rooms of members, some of whom send as fast as the
 * window allows (a message counts as in flight until every member has it).
 */
import type { RoomPlan } from '../loadgen/loadgen';
import { SERVER_KINDS } from '../lib/cluster';
import { closeClients, connectRooms, measuredSend, sendFigures, type Scenario } from '../lib/scenario';
import type { FanoutSize, Sizes } from '../lib/sizes';

function plan(prefix: string, size: FanoutSize): RoomPlan[] {
  return Array.from({ length: size.rooms }, (_, i) => ({ name: `${prefix}-${i}`, clients: size.clients, senders: size.senders }));
}

function throughput(name: string, pick: (s: Sizes) => FanoutSize): Scenario {
  return {
    name,
    title: (sizes) => {
      const s = pick(sizes);
      return `${s.rooms} room${s.rooms > 1 ? 's' : ''} × ${s.clients} clients, ${s.senders} sender${s.senders > 1 ? 's' : ''} per room, ${s.messages} messages each, window ${s.window}`;
    },
    appliesTo: () => true,
    async run(ctx) {
      const size = pick(ctx.sizes);
      ctx.step('connecting');
      await connectRooms(ctx, ctx.cluster, plan(name, size));
      try {
        ctx.step('sending');
        const m = await measuredSend(ctx, ctx.cluster, {
          messagesPerSender: size.messages,
          window: size.window,
          maxSeconds: size.maxSeconds,
          drainSeconds: ctx.sizes.drainSeconds,
        });
        return sendFigures(m, SERVER_KINDS[ctx.kind].usesRedis);
      } finally {
        ctx.step('closing');
        await closeClients(ctx);
      }
    },
  };
}

export const fanout100 = throughput('fanout-100', (s) => s.fanout100);
export const fanout1000 = throughput('fanout-1000', (s) => s.fanout1000);
export const manyRooms = throughput('rooms', (s) => s.rooms);

/** Light load: one room, one sender at a fixed rate; the figure is latency. */
export const latency: Scenario = {
  name: 'latency',
  title: (sizes) => `1 room × ${sizes.latency.clients} clients, 1 sender at ${sizes.latency.ratePerSec} messages/s for ${sizes.latency.seconds} s`,
  appliesTo: () => true,
  async run(ctx) {
    const l = ctx.sizes.latency;
    ctx.step('connecting');
    await connectRooms(ctx, ctx.cluster, [{ name: 'latency', clients: l.clients, senders: 1 }]);
    try {
      ctx.step('sending at a fixed rate');
      const m = await measuredSend(ctx, ctx.cluster, {
        messagesPerSender: Math.ceil(l.ratePerSec * l.seconds),
        window: 0,
        ratePerSender: l.ratePerSec,
        maxSeconds: l.seconds + 2,
        drainSeconds: ctx.sizes.drainSeconds,
      });
      return sendFigures(m, SERVER_KINDS[ctx.kind].usesRedis);
    } finally {
      ctx.step('closing');
      await closeClients(ctx);
    }
  },
};
