/**
 * Histograms and label sets as plain numbers, updated on hot paths without
 * prom-client; the collectors turn them into exposition samples at scrape time.
 */

/** Upper bounds in seconds, from 50 µs (a synchronous handler) to 10 s (a stuck one). */
export const DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Per-bucket counts (not cumulative), a sum and a count. */
export class PlainHistogram {
  readonly bounds: readonly number[];
  /** counts[i] observations fell in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = DURATION_BUCKETS) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound, then +Inf (the exposition format's `_bucket` series). */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const count of this.counts) out.push((running += count));
    return out;
  }
}

/** Label values for a free-form string (an event type), capped: past `limit` distinct values every new one is `other`. */
export class BoundedLabels {
  readonly limit: number;
  readonly #seen = new Set<string>();

  constructor(limit: number) {
    this.limit = limit;
  }

  labelOf(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.limit || value.length > 100) return 'other';
    this.#seen.add(value);
    return value;
  }
}
