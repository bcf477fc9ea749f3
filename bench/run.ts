/**
 * `npm run bench`: Switchyard side by side with a raw `ws` server, in the same
 * run, on loopback. See docs/benchmarks.md for what each figure means.
 *
 * @example
 * npm run bench                      # full run, 3 repeats (about ten minutes on 2 cores)
 * npm run bench -- --quick           # smoke run, seconds
 * npm run bench -- --scenarios fanout-100 --only-servers raw,memory --runs 1
 * npm run bench -- --scenarios c100k --only-servers memory --runs 1   # opt-in: 100,000 connections
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, USAGE, type BenchArgs } from './lib/args';
import { SERVER_KINDS, ServerCluster, type ClusterOptions, type ServerKind } from './lib/cluster';
import { summarize, type RunRecord } from './lib/metrics';
import { BenchRedis, BenchRedisCluster } from './lib/redis';
import { checkBar, renderBar, renderTables } from './lib/report';
import { RpcChild } from './lib/rpc';
import type { Scenario, ScenarioContext } from './lib/scenario';
import { FULL_SIZES, QUICK_SIZES } from './lib/sizes';
import { c100kScenario, room10k } from './scenarios/c100k';
import { churn } from './scenarios/churn';
import { fanout100, fanout1000, latency, manyRooms } from './scenarios/fanout';
import { idleScenario } from './scenarios/idle';
import { recovery } from './scenarios/recovery';
import { redisCost } from './scenarios/redis-cost';

const RESULTS_DIR = path.join(__dirname, 'results');
/** Open-files limit asked for each child (servers and load generator). */
const CHILD_FD_LIMIT = 65_536;

/** Everything started, so that any exit path stops it. */
const live = new Set<{ kill(): void }>();

function machine() {
  const cpus = os.cpus();
  return {
    nproc: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

class Progress {
  readonly #tty = process.stderr.isTTY;
  readonly #started = performance.now();
  done = 0;
  total = 0;
  prefix = '';

  step(text: string): void {
    const s = Math.round((performance.now() - this.#started) / 1000);
    const line = `[bench ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s ${this.done}/${this.total}] ${this.prefix}${text ? ` · ${text}` : ''}`;
    if (this.#tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  log(text: string): void {
    if (this.#tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${text}\n`);
  }

  end(): void {
    if (this.#tty) process.stderr.write('\r\x1b[K');
  }
}

async function main(): Promise<number> {
  const scenarioList = (startCluster: (kind: ServerKind, fdLimit?: number) => Promise<ServerCluster>): Scenario[] => [
    fanout100,
    fanout1000,
    manyRooms,
    latency,
    idleScenario(startCluster),
    churn,
    redisCost,
    recovery,
    room10k,
    c100kScenario(startCluster),
  ];
  const names = scenarioList(() => Promise.reject(new Error('unused'))).map((s) => s.name);
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2), names);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const sizes = args.quick ? QUICK_SIZES : FULL_SIZES;
  const progress = new Progress();
  const started = new Date();
  const needRedis = args.servers.some((k) => SERVER_KINDS[k].usesRedis && !SERVER_KINDS[k].redisCluster);
  let redis: BenchRedis | null = null;
  if (needRedis) {
    progress.step('finding Redis');
    redis = await BenchRedis.open(args.redisUrl);
    live.add(redis);
    if (!redis.privateServer) {
      const clients = await redis.connectedClients();
      if (clients > 1) progress.log(`note: Redis at ${redis.url} has ${clients} clients connected; other traffic shows up in the commands-per-groupSend figures`);
    }
    if (!redis.pid) progress.log(`note: Redis at ${redis.url} is not a local process; its CPU time is not counted`);
  }
  const profileDir = path.join(RESULTS_DIR, 'profiles');
  if (args.profile) mkdirSync(profileDir, { recursive: true });
  const heapDir = path.join(RESULTS_DIR, 'heap');
  if (args.heapSnapshots) mkdirSync(heapDir, { recursive: true });
  let redisCluster: Promise<BenchRedisCluster> | null = null;
  const clusterOptions: ClusterOptions = {
    redis,
    redisCluster: () => {
      if (redisCluster === null) {
        progress.step('starting a private Redis Cluster');
        redisCluster = BenchRedisCluster.start();
        void redisCluster.then((c) => live.add(c), () => undefined);
      }
      return redisCluster;
    },
    fdLimit: CHILD_FD_LIMIT,
    verbose: args.verbose,
    nodeFlags: [],
  };
  const startCluster = async (kind: ServerKind, fdLimit?: number) => {
    const cluster = await ServerCluster.start(kind, fdLimit === undefined ? clusterOptions : { ...clusterOptions, fdLimit });
    live.add(cluster);
    return cluster;
  };
  // Opt-in scenarios (minutes long) run only when named.
  const scenarios = scenarioList(startCluster).filter((s) => (args.scenarios ? args.scenarios.includes(s.name) : !s.optIn));
  const titles = Object.fromEntries(scenarios.map((s) => [s.name, s.title(sizes)]));
  progress.total = args.runs * scenarios.reduce((n, s) => n + args.servers.filter((k) => s.appliesTo(k)).length, 0);

  const records: RunRecord[] = [];
  for (let run = 1; run <= args.runs; run++) {
    progress.prefix = `run ${run}/${args.runs}`;
    progress.step('starting the load generator and servers');
    const spawnLoadgen = async () => {
      const lg = RpcChild.spawn('loadgen', path.join(__dirname, 'loadgen', 'loadgen.ts'), [], { fdLimit: CHILD_FD_LIMIT, verbose: args.verbose });
      live.add(lg);
      await lg.ready();
      return lg;
    };
    let loadgen = await spawnLoadgen();
    const clusters = new Map<ServerKind, ServerCluster>();
    const fresh = (s: Scenario) => s.freshServers?.(sizes) ?? false;
    const needShared = scenarios.some((s) => !fresh(s));
    const clusterFor = async (kind: ServerKind) => {
      let c = clusters.get(kind);
      if (!c || c.children.some((ch) => ch.exited)) {
        c?.kill();
        c = await startCluster(kind);
        clusters.set(kind, c);
      }
      return c;
    };
    if (needShared) {
      progress.step('starting servers');
      const kinds = args.servers.filter((k) => scenarios.some((s) => !fresh(s) && s.appliesTo(k)));
      const started = await Promise.allSettled(kinds.map((k) => clusterFor(k)));
      started.forEach((r, i) => {
        if (r.status === 'rejected') progress.log(`could not start ${kinds[i]}: ${(r.reason as Error).message}`);
      });
    }
    for (const scenario of scenarios) {
      for (const kind of args.servers) {
        if (!scenario.appliesTo(kind)) continue;
        progress.prefix = `run ${run}/${args.runs} · ${scenario.name} · ${kind}`;
        progress.step('');
        const t0 = performance.now();
        try {
          if (loadgen.exited) loadgen = await spawnLoadgen();
          const cluster = needShared && !fresh(scenario) ? await clusterFor(kind) : (null as unknown as ServerCluster);
          const ctx: ScenarioContext = {
            kind,
            cluster,
            loadgen,
            redis,
            sizes,
            loadgenFdLimit: loadgen.info!.fdLimit,
            step: (text) => progress.step(text),
            profile: args.profile ? { dir: profileDir, name: `${scenario.name}-${kind}-run${run}` } : null,
            heapSnapshots: args.heapSnapshots ? { dir: heapDir, name: `${kind}-run${run}` } : null,
          };
          const figures = await scenario.run(ctx);
          records.push({ run, scenario: scenario.name, server: kind, figures, seconds: (performance.now() - t0) / 1000 });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          records.push({ run, scenario: scenario.name, server: kind, figures: {}, error: message, seconds: (performance.now() - t0) / 1000 });
          progress.log(`FAILED run ${run} ${scenario.name} on ${kind}: ${message}`);
          // A half-finished scenario may leave clients open; start clean.
          await loadgen.call('closeAll', { timeoutMs: 5000 }, 20_000).catch(() => {
            loadgen.kill();
          });
        }
        progress.done++;
      }
    }
    progress.prefix = `run ${run}/${args.runs}`;
    progress.step('stopping');
    for (const c of clusters.values()) {
      await c.stop();
      live.delete(c);
    }
    await loadgen.stop();
    live.delete(loadgen);
  }
  progress.end();

  const summary = summarize(records);
  const bar = checkBar(summary, records);
  const finished = new Date();
  const result = {
    machine: machine(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: (finished.getTime() - started.getTime()) / 1000,
    options: { quick: args.quick, runs: args.runs, scenarios: scenarios.map((s) => s.name), servers: args.servers },
    redis: redis ? { url: redis.url, private: redis.privateServer, cpuCounted: redis.pid !== null } : null,
    servers: Object.fromEntries(args.servers.map((k) => [k, SERVER_KINDS[k]])),
    sizes,
    titles,
    records,
    summary,
    bar,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  if (args.json) {
    mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
    writeFileSync(args.json, json);
  }

  const m = result.machine;
  const out = [
    `## Switchyard vs raw ws — ${args.quick ? 'QUICK SMOKE RUN (sizes too small to mean anything)' : `${args.runs} run${args.runs > 1 ? 's' : ''}`}`,
    '',
    `Machine: ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}. Took ${Math.round(result.durationSeconds)} s.`,
    'Cells: median [min–max] over runs; `×r` is the ratio to raw ws in the same run (median of per-run ratios); `+n` is bytes above raw ws.',
    'CPU figures are user+sys time of the server process(es), plus redis-server for the Redis layers, during the send phase only.',
    '',
    renderTables(summary, titles, records),
    '### The bar',
    '',
    renderBar(bar),
    '',
    `JSON: ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json'))}${args.json ? ` and ${args.json}` : ''}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (redisCluster) await (await (redisCluster as Promise<BenchRedisCluster>)).close().catch(() => undefined);
  if (redis) await redis.close();
  live.clear();
  return records.some((r) => r.error) ? 1 : 0;
}

function killAll(): void {
  for (const item of live) {
    try {
      item.kill();
    } catch {
      // already gone
    }
  }
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
process.on('SIGTERM', () => {
  killAll();
  process.exit(143);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killAll();
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
