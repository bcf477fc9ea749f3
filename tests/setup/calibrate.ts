/**
 * How slow this machine is right now, as one factor that the time limits of
 * real-process tests multiply (`scaled(ms)`), instead of fixed seconds that
 * hold on an idle laptop and fail on a loaded CI runner.
 *
 * The factor is measured once per `jest` run (jest.config.ts calls
 * `calibrate()`, before any worker starts) by timing a fixed CPU workload
 * against its time on an idle reference machine, and handed to the workers
 * through the environment. It only ever lengthens limits (never below 1),
 * and is capped so a hung test still fails in bounded time.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** Environment variable carrying the factor to jest workers (and child runs). */
export const TIME_SCALE_ENV = 'SWITCHYARD_TEST_TIME_SCALE';

// The workload's time (median of 7) on an unloaded 2-core machine, in ms: the fastest of 30 runs
// on the development machine (21.7 ms while shared; it varied up to 54 ms under load average 18),
// measured with `npx tsx -e "console.log(require('./tests/setup/calibrate').measureWorkloadMs())"`.
const REFERENCE_MS = 20;
const SAMPLES = 7;
const MAX_FACTOR = 6;

/** The fixed workload: hashing and JSON round trips, single-threaded, no I/O. */
function workload(): number {
  let hash = createHash('sha256');
  const block = Buffer.alloc(64 * 1024, 7);
  for (let i = 0; i < 64; i++) hash.update(block);
  let size = hash.digest().length;
  const doc = { list: Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['a', 'b'] })) };
  for (let i = 0; i < 8; i++) size += (JSON.parse(JSON.stringify(doc)) as { list: unknown[] }).list.length;
  hash = createHash('sha256');
  return size;
}

/** The median time of the workload now, in ms. */
export function measureWorkloadMs(): number {
  workload(); // warm-up: JIT, allocation of the first buffers
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    workload();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[SAMPLES >> 1] as number;
}

/**
 * Measure the factor (or keep one already in the environment, e.g. from an
 * outer run or set by hand), store it in the environment and return it.
 */
export function calibrate(): number {
  const given = Number(process.env[TIME_SCALE_ENV]);
  if (Number.isFinite(given) && given >= 1) return given;
  const factor = Math.min(MAX_FACTOR, Math.max(1, measureWorkloadMs() / REFERENCE_MS));
  const rounded = Math.round(factor * 100) / 100;
  process.env[TIME_SCALE_ENV] = String(rounded);
  return rounded;
}

/** The factor this process runs with (1 when not calibrated). */
export function timeScale(): number {
  const value = Number(process.env[TIME_SCALE_ENV]);
  return Number.isFinite(value) && value >= 1 ? value : 1;
}

/** `ms` scaled by the calibration factor: use it for every time limit of a real-process test. */
export function scaled(ms: number): number {
  return Math.ceil(ms * timeScale());
}
