/**
 * The figures the bench reports: how each is labelled and formatted, their
 * min/median/max over runs, and their ratio to raw ws in the same run.
 */
import { SERVER_KINDS, type ServerKind } from './cluster';
import type { Figures } from './scenario';
import { spread, type Spread } from './stats';

export interface MetricInfo {
  label: string;
  /** Counts are summed over runs rather than spread. */
  count?: boolean;
  /** Shown as a ratio to raw ws too. */
  ratio?: boolean;
  /** Shown as a difference to raw ws (bytes above raw). */
  aboveRaw?: boolean;
}

/** Keys may carry a `@size` suffix (redis-cost); the catalogue is keyed by the base. */
export const METRICS: Record<string, MetricInfo> = {
  deliveriesPerSec: { label: 'deliveries/s', ratio: true },
  cpuUsPerDelivery: { label: 'CPU µs/delivery', ratio: true },
  serverCpuUsPerDelivery: { label: 'server CPU µs/delivery' },
  redisCpuUsPerDelivery: { label: 'Redis CPU µs/delivery' },
  serverCorePct: { label: 'server % core' },
  loadgenCorePct: { label: 'loadgen % core' },
  offMainThreadPct: { label: 'server CPU off JS thread %' },
  p50Ms: { label: 'p50 ms' },
  p90Ms: { label: 'p90 ms' },
  p99Ms: { label: 'p99 ms', ratio: true },
  maxMs: { label: 'max ms' },
  delivered: { label: 'deliveries', count: true },
  lost: { label: 'lost', count: true },
  duplicated: { label: 'duplicated', count: true },
  outOfOrder: { label: 'out of order', count: true },
  unexpected: { label: 'unexpected frames', count: true },
  connections: { label: 'connections' },
  connectPerSec: { label: 'connects/s', ratio: true },
  rssPerConn: { label: 'RSS B/conn', aboveRaw: true },
  heapPerConn: { label: 'heap B/conn', aboveRaw: true },
  externalPerConn: { label: 'external B/conn' },
  baselineRssMiB: { label: 'empty RSS MiB' },
  rssMiB: { label: 'RSS MiB (all held)' },
  connectSeconds: { label: 'all connected, s' },
  cyclesPerSec: { label: 'connect+close/s', ratio: true },
  cpuUsPerCycle: { label: 'CPU µs/cycle', ratio: true },
  cycles: { label: 'cycles', count: true },
  failures: { label: 'failures', count: true },
  commandsPerGroupSend: { label: 'Redis cmds/groupSend' },
  bytesInPerGroupSend: { label: 'bytes into Redis/groupSend' },
  bytesOutPerGroupSend: { label: 'bytes out of Redis/groupSend' },
  cmd: { label: 'cmd/groupSend' },
  recoverAllMs: { label: 'all recovered, ms' },
  recoverP50Ms: { label: 'recovery p50 ms' },
  recoverP99Ms: { label: 'recovery p99 ms' },
  recoveredPerSec: { label: 'recovered msgs/s' },
  cpuUsPerRecovered: { label: 'CPU µs/recovered msg' },
  commandsPerRecovered: { label: 'Redis cmds/recovered msg' },
  commandsPerReconnect: { label: 'Redis cmds/reconnect' },
  notRecovered: { label: 'joins not recovered', count: true },
};

export function metricInfo(key: string): MetricInfo {
  const base = key.split(/[@:]/)[0]!;
  return METRICS[base] ?? { label: key };
}

/** One scenario on one server in one run. */
export interface RunRecord {
  run: number;
  scenario: string;
  server: ServerKind;
  figures: Figures;
  error?: string;
  seconds: number;
}

export interface MetricSummary extends Spread {
  /** Sum over runs, for counts. */
  total?: number;
  /** value / raw's value, per run, then spread. */
  ratioToRaw?: Spread;
  /** value − raw's value, per run, then spread. */
  aboveRaw?: Spread;
  /** value / the Socket.IO peer's value (SERVER_KINDS[server].peer), per run, then spread. */
  ratioToPeer?: Spread;
}

export type Summary = Record<string, Partial<Record<ServerKind, Record<string, MetricSummary>>>>;

export function summarize(records: RunRecord[]): Summary {
  const summary: Summary = {};
  const ok = records.filter((r) => !r.error);
  const rawOf = (run: number, scenario: string) => ok.find((r) => r.run === run && r.scenario === scenario && r.server === 'raw');
  for (const rec of ok) {
    const byServer = (summary[rec.scenario] ??= {});
    byServer[rec.server] ??= {};
  }
  for (const [scenario, byServer] of Object.entries(summary)) {
    for (const server of Object.keys(byServer) as ServerKind[]) {
      const mine = ok.filter((r) => r.scenario === scenario && r.server === server);
      const keys = new Set(mine.flatMap((r) => Object.keys(r.figures)));
      const out: Record<string, MetricSummary> = {};
      for (const key of keys) {
        const info = metricInfo(key);
        const values = mine.map((r) => r.figures[key] ?? Number.NaN);
        const s: MetricSummary = spread(values);
        if (info.count) s.total = values.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
        if (server !== 'raw' && (info.ratio || info.aboveRaw || key.includes('@'))) {
          const ratios: number[] = [];
          const diffs: number[] = [];
          for (const r of mine) {
            const raw = rawOf(r.run, scenario)?.figures[key];
            const v = r.figures[key];
            if (raw === undefined || v === undefined) continue;
            ratios.push(v / raw);
            diffs.push(v - raw);
          }
          if (info.ratio && ratios.length) s.ratioToRaw = spread(ratios);
          if (info.aboveRaw && diffs.length) s.aboveRaw = spread(diffs);
        }
        const peer = SERVER_KINDS[server].peer;
        if (peer !== undefined && (info.ratio || key.includes('@'))) {
          const ratios: number[] = [];
          for (const r of mine) {
            const theirs = ok.find((o) => o.run === r.run && o.scenario === scenario && o.server === peer)?.figures[key];
            const v = r.figures[key];
            if (theirs !== undefined && v !== undefined) ratios.push(v / theirs);
          }
          if (ratios.length) s.ratioToPeer = spread(ratios);
        }
        out[key] = s;
      }
      byServer[server] = out;
    }
  }
  return summary;
}

/** Compact number: thousands separated, fewer decimals as values grow. */
export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** `median [min–max]`, or the single value for one run. */
export function cell(s: MetricSummary | undefined): string {
  if (!s) return '–';
  if (s.total !== undefined) return fmt(s.total);
  const finite = s.values.filter((v) => Number.isFinite(v));
  if (finite.length <= 1) return fmt(s.median);
  return `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;
}
