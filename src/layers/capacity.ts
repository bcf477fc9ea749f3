/**
 * Per-channel capacity: a default plus ordered overrides (glob strings or
 * RegExps, first match wins). Patterns are compiled once; results are cached
 * per name in a bounded map, because the same few channel names are looked up
 * on every send.
 */
import { InvalidOption } from '../errors';
import type { ChannelLayerOptions } from './channel-layer';

/** The `channelCapacity` option: an object of glob -> capacity, or ordered `[pattern, capacity]` pairs. */
export type CapacityPatterns = NonNullable<ChannelLayerOptions['channelCapacity']>;

/** Names whose capacity is remembered; past this the oldest entry is evicted. */
const CACHE_LIMIT = 1024;

interface CapacityRule {
  pattern: RegExp;
  capacity: number;
}

/**
 * Compile a glob into an anchored RegExp: `*` matches any run of characters
 * (including none), `?` exactly one; everything else is literal.
 *
 * @example globToRegExp('websocket.send*').test('websocket.send!abc') // true
 */
export function globToRegExp(glob: string): RegExp {
  let source = '^';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 's');
}

/** Throws InvalidOption unless `value` is a whole number >= 1. */
export function assertCapacity(value: unknown, option: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOption(`${option} must be a whole number of messages >= 1, got ${String(value)}`);
  }
}

/**
 * Looks up the capacity of a channel. A string pattern is a glob and must
 * match the whole name; a RegExp is used as given (so it matches anywhere
 * unless anchored), with any `g`/`y` flag dropped so lookups are stateless.
 *
 * @example
 * const table = new CapacityTable(100, [['http.request', 200], [/^bulk\./, 1000]]);
 * table.capacityOf('bulk.jobs'); // 1000
 */
export class CapacityTable {
  readonly defaultCapacity: number;
  readonly #rules: CapacityRule[];
  readonly #cache = new Map<string, number>();

  constructor(defaultCapacity: number, patterns?: CapacityPatterns) {
    assertCapacity(defaultCapacity, 'capacity');
    this.defaultCapacity = defaultCapacity;
    this.#rules = compileRules(patterns);
  }

  /** The capacity for `name`: the first matching pattern's, else the default. */
  capacityOf(name: string): number {
    if (this.#rules.length === 0) return this.defaultCapacity;
    const cached = this.#cache.get(name);
    if (cached !== undefined) return cached;
    let capacity = this.defaultCapacity;
    for (const rule of this.#rules) {
      if (rule.pattern.test(name)) {
        capacity = rule.capacity;
        break;
      }
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(name, capacity);
    return capacity;
  }

  /** How many names are cached (for tests of the bound). */
  get cacheSize(): number {
    return this.#cache.size;
  }
}

function compileRules(patterns: CapacityPatterns | undefined): CapacityRule[] {
  if (patterns === undefined) return [];
  let pairs: Array<readonly [unknown, unknown]>;
  if (Array.isArray(patterns)) {
    pairs = patterns;
  } else if (typeof patterns === 'object' && patterns !== null) {
    pairs = Object.entries(patterns);
  } else {
    throw new InvalidOption('channelCapacity must be an object of { glob: capacity } or an array of [pattern, capacity] pairs');
  }
  return pairs.map((pair, index) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new InvalidOption(`channelCapacity[${index}] must be a [pattern, capacity] pair`);
    }
    const [pattern, capacity] = pair;
    assertCapacity(capacity, `channelCapacity[${JSON.stringify(String(pattern))}]`);
    if (typeof pattern === 'string') return { pattern: globToRegExp(pattern), capacity };
    if (pattern instanceof RegExp) return { pattern: new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')), capacity };
    throw new InvalidOption(`channelCapacity[${index}] pattern must be a glob string or a RegExp, got ${typeof pattern}`);
  });
}
