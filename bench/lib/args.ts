/** Command-line flags of `npm run bench`. */
import { ALL_KINDS, DEFAULT_KINDS, type ServerKind } from './cluster';

export interface BenchArgs {
  quick: boolean;
  runs: number;
  scenarios: string[] | null;
  servers: ServerKind[];
  json: string | null;
  redisUrl: string | undefined;
  verbose: boolean;
  profile: boolean;
  heapSnapshots: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [flags]

  --quick                 smoke run: 1 run, tiny sizes, a few seconds (what CI runs; without rawcork)
  --runs N                repeat every scenario N times (default 3; --quick: 1)
  --scenarios a,b         only these: fanout-100, fanout-1000, rooms, latency, idle, churn, redis-cost, recovery;
                          opt-in (minutes; only when named): room10k (one room of 10,000, p99 latency),
                          c100k (100,000 connections on one memory-layer process from 10 load generators
                          on 127.0.0.2-11; needs root or a hard open-files limit above 100,000;
                          BENCH_C100K_CONNECTIONS=N scales it down, 100 per room)
  --only-servers a,b      only these servers: raw, rawcork, memory, phoenix, metrics, redis, pubsub, socketio,
                          socketio-redis (the Socket.IO 4 peer, in-memory and with @socket.io/redis-adapter ×2;
                          \`×n sio\` cells are ratios to it), and by name only redis1, pubsub1, socketio-redis1
                          (one process on Redis), redis4, pubsub4, socketio-redis4
                          (four processes on one Redis), pubsub-lf (pub/sub with localFirst), pubsub-async and
                          pubsub-async1 (pub/sub with publishAck 'written', 2 and 1 processes) (ratios need raw;
                          rawcork: raw ws corking per tick, a reference row; phoenix: the Phoenix protocol on
                          the memory layer; metrics: the memory server with metrics on, compared with memory),
                          and by name only metrics, memory-history, redis-history, pubsub-history (the same
                          with history on every room; the recovery scenario runs on these)
  --json PATH             also write the JSON results here (always: bench/results/latest.json)
  --redis-url URL         Redis to use (default: REDIS_URL, else a private throwaway redis-server)
  --profile               CPU-profile the servers during each send phase (bench/results/profiles/;
                          summarise with: npx tsx bench/profile-summary.ts FILE...)
 --heap-snapshots        idle scenario: heap snapshots before/after connecting (bench/results/heap/;
                          diff with: npx tsx bench/heap-summary.ts BEFORE AFTER CONNECTIONS)
  --verbose               pass the servers' output through
  --help                  this text`;

export function parseArgs(argv: string[], scenarioNames: string[]): BenchArgs {
  const args: BenchArgs = {
    quick: false,
    runs: 3,
    scenarios: null,
    servers: [...DEFAULT_KINDS],
    json: null,
    redisUrl: process.env.REDIS_URL || undefined,
    verbose: false,
    profile: false,
    heapSnapshots: false,
    help: false,
  };
  let runsGiven = false;
  let serversGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--runs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error('--runs takes a whole number from 1 to 20');
        args.runs = n;
        runsGiven = true;
        break;
      }
      case '--scenarios': {
        const list = value().split(',').filter(Boolean);
        const unknown = list.filter((s) => !scenarioNames.includes(s));
        if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${scenarioNames.join(', ')}`);
        args.scenarios = list;
        break;
      }
      case '--only-servers':
      case '--servers': {
        const list = value().split(',').filter(Boolean);
        const unknown = list.filter((s) => !ALL_KINDS.includes(s as ServerKind));
        if (unknown.length) throw new Error(`unknown server(s) ${unknown.join(', ')}; known: ${ALL_KINDS.join(', ')}`);
        args.servers = ALL_KINDS.filter((k) => list.includes(k));
        serversGiven = true;
        break;
      }
      case '--json':
        args.json = value();
        break;
      case '--redis-url':
        args.redisUrl = value();
        break;
      case '--verbose':
        args.verbose = true;
        break;
      case '--profile':
        args.profile = true;
        break;
      case '--heap-snapshots':
        args.heapSnapshots = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown flag ${flag}\n\n${USAGE}`);
    }
  }
  if (args.quick && !runsGiven) args.runs = 1;
  // The smoke run covers the servers users run; the corked raw reference only means something at full size.
  if (args.quick && !serversGiven) args.servers = args.servers.filter((k) => k !== 'rawcork');
  return args;
}
