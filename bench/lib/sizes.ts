/**
 * How big each scenario is: the full run (about ten minutes on two cores with
 * the default three runs) and the --quick smoke run (seconds).
 */

export interface FanoutSize {
  rooms: number;
  clients: number;
  senders: number;
  messages: number;
  window: number;
  maxSeconds: number;
}

export interface Sizes {
  connectConcurrency: number;
  drainSeconds: number;
  fanout100: FanoutSize;
  fanout1000: FanoutSize;
  rooms: FanoutSize;
  latency: { clients: number; ratePerSec: number; seconds: number };
  /** `freshServers`: measure on servers started for this scenario (the smoke run reuses the shared ones). */
  idle: { connections: number; rooms: number; warmup: number; chatMessages: number; maxSeconds: number; freshServers: boolean };
  churn: { concurrency: number; seconds: number; rooms: number };
  redisCost: { groupSizes: number[]; messages: number; window: number; maxSeconds: number };
  recovery: { clients: number; messages: number; maxSeconds: number };
  /** Opt-in: connections held by one process, spread over load generators each with its own 127.0.0.x source address. */
  c100k: { connections: number; rooms: number; loadgens: number; concurrency: number; messages: number; connectTimeoutS: number };
  /** Opt-in: one big room, one sender at a fixed rate; the figure is p99 latency. */
  room10k: { clients: number; ratePerSec: number; seconds: number };
}

export const FULL_SIZES: Sizes = {
  connectConcurrency: 200,
  drainSeconds: 10,
  fanout100: { rooms: 1, clients: 100, senders: 1, messages: 3000, window: 16, maxSeconds: 6 },
  fanout1000: { rooms: 1, clients: 1000, senders: 1, messages: 400, window: 8, maxSeconds: 6 },
  rooms: { rooms: 100, clients: 10, senders: 1, messages: 300, window: 4, maxSeconds: 6 },
  // BENCH_LATENCY_SECONDS: a longer phase for the CPU figure (4 s is 16 clock ticks of the memory server: ±6 %).
  latency: { clients: 100, ratePerSec: 20, seconds: Number(process.env.BENCH_LATENCY_SECONDS) || 4 },
  idle: { connections: 10_000, rooms: 100, warmup: 100, chatMessages: 20, maxSeconds: 8, freshServers: true },
  churn: { concurrency: 20, seconds: 3, rooms: 10 },
  redisCost: { groupSizes: [1, 100, 1000], messages: 200, window: 4, maxSeconds: 6 },
  recovery: { clients: 200, messages: 100, maxSeconds: 30 },
  c100k: { connections: 100_000, rooms: 1000, loadgens: 10, concurrency: 40, messages: 3, connectTimeoutS: 120 },
  room10k: { clients: 10_000, ratePerSec: 2, seconds: 5 },
};

export const QUICK_SIZES: Sizes = {
  connectConcurrency: 50,
  drainSeconds: 5,
  fanout100: { rooms: 1, clients: 20, senders: 1, messages: 50, window: 8, maxSeconds: 2 },
  fanout1000: { rooms: 1, clients: 50, senders: 1, messages: 20, window: 4, maxSeconds: 2 },
  rooms: { rooms: 10, clients: 5, senders: 1, messages: 20, window: 4, maxSeconds: 2 },
  latency: { clients: 10, ratePerSec: 50, seconds: 0.3 },
  idle: { connections: 200, rooms: 10, warmup: 20, chatMessages: 5, maxSeconds: 2, freshServers: false },
  churn: { concurrency: 5, seconds: 0.3, rooms: 2 },
  redisCost: { groupSizes: [1, 10], messages: 20, window: 4, maxSeconds: 2 },
  recovery: { clients: 10, messages: 10, maxSeconds: 10 },
  c100k: { connections: 2000, rooms: 20, loadgens: 2, concurrency: 20, messages: 2, connectTimeoutS: 60 },
  room10k: { clients: 200, ratePerSec: 5, seconds: 1 },
};
