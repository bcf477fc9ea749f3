/**
 * One process's numbers for the dashboard, read from the same counters the
 * /metrics collectors read. Counters stay cumulative; the page turns two
 * snapshots of a process into per-second rates.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IntervalHistogram } from 'node:perf_hooks';
import { instrumentation, type Instrumentation } from '../metrics/instrumentation';

/** Rows kept per list (busiest groups, presence): the work per snapshot stays bounded. */
export const TOP_ROWS = 10;

/** A layer's health and counters. */
export interface LayerSnapshot {
  alias: string;
  up: boolean;
  groupSends: number;
  deliveries: number;
  dropped: Record<string, number>;
  disconnects: number;
  reconnects: number;
  unavailableSeconds: number;
}

/** What one process publishes every few seconds. */
export interface ProcessSnapshot {
  process: { id: string; host: string; pid: number; startedAt: number };
  /** Wall-clock time of the snapshot, in ms. */
  at: number;
  connections: { total: number; byProtocol: Record<string, number> };
  handshakes: { accepted: number; refused: number };
  messagesIn: number;
  messagesOut: number;
  slowClientCloses: number;
  rateLimitHits: number;
  unhandledEvents: number;
  layers: LayerSnapshot[];
  /** Busiest groups by members of this process (its consumers), at most TOP_ROWS. */
  groups: Array<{ name: string; members: number }>;
  /** Presence per tracked group (every node the trackers know), at most TOP_ROWS. */
  presence: Array<{ group: string; members: number }>;
  /** Total groups with local members / with present members (the lists above are the top rows). */
  groupCount: number;
  presenceGroupCount: number;
  heapUsedBytes: number;
  rssBytes: number;
  /** Event-loop delay over the last interval, in ms (mean and max). */
  eventLoopDelayMs: { mean: number; max: number };
}

const PROCESS = { id: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, host: hostname(), pid: process.pid, startedAt: Date.now() };

function top<T>(entries: Iterable<T>, size: (entry: T) => number): T[] {
  const rows: T[] = [];
  for (const entry of entries) {
    if (rows.length < TOP_ROWS) rows.push(entry);
    else if (size(entry) > size(rows[rows.length - 1]!)) rows[rows.length - 1] = entry;
    else continue;
    rows.sort((a, b) => size(b) - size(a));
  }
  return rows;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Take a snapshot of this process; `hidden` groups (the dashboard's own) are left out of the busiest list. */
export function takeSnapshot(delay: IntervalHistogram | null, hidden: string, m: Instrumentation = instrumentation): ProcessSnapshot {
  const byProtocol: Record<string, number> = {};
  let total = 0;
  for (const gauge of m.connectionGauges()) {
    byProtocol[gauge.protocol] = (byProtocol[gauge.protocol] ?? 0) + gauge.open;
    total += gauge.open;
  }
  let accepted = 0;
  let refused = 0;
  for (const [outcome, count] of m.handshakes) {
    if (outcome === 'accepted') accepted += count;
    else if (outcome !== 'abandoned') refused += count;
  }
  const presence: Array<{ group: string; members: number }> = [];
  let presenceGroupCount = 0;
  for (const tracker of m.presence) {
    for (const group of tracker.groups()) {
      presenceGroupCount++;
      presence.push({ group, members: tracker.list(group).length });
    }
  }
  const groups = [...m.groupMembers].filter(([name]) => name !== hidden);
  const memory = process.memoryUsage();
  const snapshot: ProcessSnapshot = {
    process: PROCESS,
    at: Date.now(),
    connections: { total, byProtocol },
    handshakes: { accepted, refused },
    messagesIn: m.messagesIn,
    messagesOut: m.messagesOut,
    slowClientCloses: m.slowClientCloses,
    rateLimitHits: m.rateLimitHits.close + m.rateLimitHits.errorFrame,
    unhandledEvents: sum(m.unhandled.values()),
    layers: [...m.layers.values()].map((s) => ({
      alias: s.alias,
      up: s.downSince < 0,
      groupSends: s.groupSends,
      deliveries: s.deliveries,
      dropped: Object.fromEntries(s.dropped),
      disconnects: s.disconnects,
      reconnects: s.reconnects,
      unavailableSeconds: s.unavailableMsNow() / 1000,
    })),
    groups: top(groups, ([, members]) => members).map(([name, members]) => ({ name, members })),
    presence: top(presence, (row) => row.members),
    groupCount: groups.length,
    presenceGroupCount,
    heapUsedBytes: memory.heapUsed,
    rssBytes: memory.rss,
    eventLoopDelayMs: delay === null || delay.count === 0 ? { mean: 0, max: 0 } : { mean: delay.mean / 1e6, max: delay.max / 1e6 },
  };
  delay?.reset();
  return snapshot;
}
