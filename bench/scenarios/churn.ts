/** Connection churn: open, close, repeat, from several loops at once. */
import { SERVER_KINDS } from '../lib/cluster';
import { measuredChurn, type Scenario } from '../lib/scenario';

export const churn: Scenario = {
  name: 'churn',
  title: (sizes) => `${sizes.churn.concurrency} loops opening and closing connections for ${sizes.churn.seconds} s over ${sizes.churn.rooms} rooms`,
  // The churn loop speaks the tutorial protocol only.
  appliesTo: (kind) => kind !== 'rawcork' && (SERVER_KINDS[kind].protocol ?? 'tutorial') === 'tutorial',
  async run(ctx) {
    const c = ctx.sizes.churn;
    ctx.step('churning');
    const m = await measuredChurn(ctx, ctx.cluster, {
      servers: ctx.cluster.urls,
      rooms: c.rooms,
      concurrency: c.concurrency,
      seconds: c.seconds,
      timeoutMs: 10_000,
    });
    const cpu = m.serverCpuS + m.redisCpuS;
    return {
      cyclesPerSec: m.churn.perSec,
      cpuUsPerCycle: m.churn.cycles > 0 ? (cpu / m.churn.cycles) * 1e6 : Number.NaN,
      cycles: m.churn.cycles,
      failures: m.churn.failures,
    };
  },
};
