/**
 * What a scenario is, and the measured send phase they all share: server
 * (and Redis) CPU time read from /proc right around the load generator's
 * send phase.
 */
import { SERVER_KINDS } from './cluster';
import type { ChurnArgs, ChurnResult, ConnectArgs, ConnectResult, RoomPlan, SendArgs, SendResult } from '../loadgen/loadgen';
import type { ServerCluster, ServerKind } from './cluster';
import path from 'node:path';
import { cpuSeconds } from './proc-stats';
import type { BenchRedis } from './redis';
import type { RpcChild } from './rpc';
import type { Sizes } from './sizes';

/** Figures of one scenario on one server in one run, by metric key (see metrics.ts). */
export type Figures = Record<string, number>;

export interface ScenarioContext {
  kind: ServerKind;
  /** Servers started for this run (shared by scenarios that do not need a fresh one). */
  cluster: ServerCluster;
  loadgen: RpcChild;
  redis: BenchRedis | null;
  sizes: Sizes;
  /** Open-files limit of the load generator. */
  loadgenFdLimit: number;
  /** Report a sub-step on the progress line. */
  step(text: string): void;
  /** With --profile: where send-phase CPU profiles go, and a name for this step's files. */
  profile: { dir: string; name: string } | null;
  /** With --heap-snapshots: where the idle scenario writes its snapshots, and a name for them. */
  heapSnapshots: { dir: string; name: string } | null;
}

export interface Scenario {
  name: string;
  /** One line for the table heading and the docs. */
  title(sizes: Sizes): string;
  /** False when the scenario means nothing for this server (e.g. Redis commands on raw ws). */
  appliesTo(kind: ServerKind): boolean;
  /** Runs only when named in --scenarios (it takes minutes). */
  optIn?: boolean;
  /** True when the scenario must start its own servers (memory baselines). */
  freshServers?: (sizes: Sizes) => boolean;
  run(ctx: ScenarioContext): Promise<Figures>;
}

/** Connections one send phase needs on each side, plus slack. */
export function fdsNeeded(connections: number): number {
  return connections + 256;
}

/** Refuse clearly when either side cannot hold the connections. */
export function checkFds(ctx: ScenarioContext, cluster: ServerCluster, connections: number): void {
  const need = fdsNeeded(Math.ceil(connections / cluster.children.length));
  if (cluster.fdLimit < need || ctx.loadgenFdLimit < fdsNeeded(connections)) {
    throw new Error(
      `open-files limit too low for ${connections} connections (server ${cluster.fdLimit}, load generator ${ctx.loadgenFdLimit}; need ${fdsNeeded(connections)}). ` +
        'Run as root (the bench raises it with `ulimit -n 65536` per child) or raise the hard limit: `ulimit -Hn 65536` / `LimitNOFILE=` / /etc/security/limits.conf.',
    );
  }
}

export async function connectRooms(ctx: ScenarioContext, cluster: ServerCluster, rooms: RoomPlan[]): Promise<ConnectResult> {
  const total = rooms.reduce((n, r) => n + r.clients, 0);
  checkFds(ctx, cluster, total);
  const args: ConnectArgs = {
    servers: cluster.urls,
    rooms,
    concurrency: ctx.sizes.connectConcurrency,
    timeoutMs: 15_000,
    protocol: SERVER_KINDS[cluster.kind].protocol ?? 'tutorial',
  };
  return ctx.loadgen.call<ConnectResult>('connect', args, 180_000);
}

export async function closeClients(ctx: ScenarioContext): Promise<void> {
  await ctx.loadgen.call('closeAll', { timeoutMs: 10_000 }, 60_000);
}

/** A send phase with the servers' (and Redis') CPU time read right around it. */
export interface MeasuredSend {
  result: SendResult;
  serverCpuS: number;
  redisCpuS: number;
  /** The load generator's own CPU time: near one core means it, not the server, set the pace. */
  loadgenCpuS: number;
  /** Server CPU time on the main (JS) threads; the rest is GC helper threads and libuv. */
  serverMainCpuS: number;
}

export async function measuredSend(ctx: ScenarioContext, cluster: ServerCluster, args: SendArgs): Promise<MeasuredSend> {
  const profile = ctx.profile;
  let phase = 0;
  if (profile) await Promise.all(cluster.children.map((c) => c.call('profileStart')));
  try {
    return await timedSend(ctx, cluster, args);
  } finally {
    if (profile) {
      phase++;
      await Promise.all(
        cluster.children.map((c, i) =>
          c.call('profileStop', { file: path.join(profile.dir, `${profile.name}-p${i}-${Date.now()}-${phase}.cpuprofile`) }),
        ),
      );
    }
  }
}

async function timedSend(ctx: ScenarioContext, cluster: ServerCluster, args: SendArgs): Promise<MeasuredSend> {
  const s0 = cluster.serverCpu();
  const m0 = cluster.serverMainThreadCpu();
  const r0 = cluster.redisCpu();
  const l0 = cpuSeconds(ctx.loadgen.pid);
  const result = await ctx.loadgen.call<SendResult>('send', args, (args.maxSeconds + args.drainSeconds) * 1000 + 30_000);
  const serverCpuS = cluster.serverCpu() - s0;
  const redisCpuS = cluster.redisCpu() - r0;
  const loadgenCpuS = cpuSeconds(ctx.loadgen.pid) - l0;
  const serverMainCpuS = cluster.serverMainThreadCpu() - m0;
  return { result, serverCpuS, redisCpuS, loadgenCpuS, serverMainCpuS };
}

export async function measuredChurn(ctx: ScenarioContext, cluster: ServerCluster, args: ChurnArgs): Promise<MeasuredSend & { churn: ChurnResult }> {
  const s0 = cluster.serverCpu();
  const r0 = cluster.redisCpu();
  const l0 = cpuSeconds(ctx.loadgen.pid);
  const churn = await ctx.loadgen.call<ChurnResult>('churn', args, args.seconds * 1000 + args.timeoutMs + 30_000);
  return { churn, result: null as never, serverCpuS: cluster.serverCpu() - s0, redisCpuS: cluster.redisCpu() - r0, loadgenCpuS: cpuSeconds(ctx.loadgen.pid) - l0, serverMainCpuS: Number.NaN };
}

/** The figures every send phase yields. */
export function sendFigures(m: MeasuredSend, usesRedis: boolean): Figures {
  const r = m.result;
  const per = (s: number) => (r.delivered > 0 ? (s / r.delivered) * 1e6 : Number.NaN);
  const figures: Figures = {
    deliveriesPerSec: r.deliveriesPerSec,
    cpuUsPerDelivery: per(m.serverCpuS + m.redisCpuS),
    p50Ms: r.latencyMs.p50,
    p90Ms: r.latencyMs.p90,
    p99Ms: r.latencyMs.p99,
    maxMs: r.latencyMs.max,
    delivered: r.delivered,
    lost: r.lost,
    duplicated: r.duplicated,
    outOfOrder: r.outOfOrder,
    unexpected: r.unexpected,
    // Share of one core over the phase: shows which side set the pace.
    serverCorePct: r.phaseMs > 0 ? (m.serverCpuS / (r.phaseMs / 1000)) * 100 : Number.NaN,
    loadgenCorePct: r.phaseMs > 0 ? (m.loadgenCpuS / (r.phaseMs / 1000)) * 100 : Number.NaN,
    // Share of the server's CPU spent off its JS thread (mostly GC helpers): allocation pressure.
    offMainThreadPct: m.serverCpuS > 0 ? ((m.serverCpuS - m.serverMainCpuS) / m.serverCpuS) * 100 : Number.NaN,
  };
  if (usesRedis) {
    figures.serverCpuUsPerDelivery = per(m.serverCpuS);
    figures.redisCpuUsPerDelivery = per(m.redisCpuS);
  }
  return figures;
}
