/**
 * Group history: which groups keep it (by name pattern, in the layer
 * options), the offset/epoch model every backend shares, and the two
 * reserved keys that stamp each delivered group message with its position.
 *
 * An offset counts a group's messages from 1 within an epoch; the epoch (an
 * opaque string) changes whenever the history may have lost entries, so
 * `{offset, epoch}` from a client either names an exact point of the
 * retained history or is recognisably stale.
 */
import { InvalidOption } from '../errors';
import { positiveOption } from '../option-checks';
import { globToRegExp } from './capacity';

/** The key of a delivered group message that holds its offset (a positive integer). */
export const HISTORY_OFFSET_KEY = '__offset__';
/** The key of a delivered group message that holds its epoch (a string). */
export const HISTORY_EPOCH_KEY = '__epoch__';
/** Both reserved keys; `groupSend` drops them from the message before stamping its own. */
export const HISTORY_KEYS: readonly string[] = [HISTORY_OFFSET_KEY, HISTORY_EPOCH_KEY];

/** How much history a group keeps: at least the last `size` messages, each for `ttl` seconds. */
export interface HistoryRetention {
  /** Messages kept (Redis trims approximately: it may keep up to about 100 more). Default 100. */
  size?: number;
  /**
   * Seconds a message stays in history: reads never return an older one (Redis
   * removes them from storage on every 16th message of a group). Default 300.
   */
  ttl?: number;
}

/**
 * The `history` layer option: `[pattern, retention]` pairs, first match
 * wins; a pattern is a glob (`*` any run, `?` one character) or a RegExp,
 * tested against the group name.
 * @example [['chat_*', { size: 100, ttl: 300 }]]
 */
export type HistoryPatterns = ReadonlyArray<readonly [pattern: string | RegExp, retention: HistoryRetention]>;

/** A position in a group's history, as a client remembers it. */
export interface HistoryPosition {
  offset: number;
  epoch: string;
}

/** Options of `groupHistory`. */
export interface GroupHistoryOptions {
  /** Return the messages after this position (when its epoch is current). */
  since?: HistoryPosition | null;
  /**
   * At most this many messages: with a current `since`, the oldest ones
   * after it (page on with the last offset); otherwise the newest ones.
   * Default: all retained.
   */
  limit?: number;
}

/** One retained message. `message` is what members received, stamp included. */
export interface HistoryEntry<T = Record<string, unknown>> {
  offset: number;
  message: T;
}

/** What `groupHistory` returns. */
export interface GroupHistory<T = Record<string, unknown>> {
  /** Oldest first. */
  messages: Array<HistoryEntry<T>>;
  /** The group's current epoch. */
  epoch: string;
  /** The group's latest offset (0 before the first message of the epoch). */
  offset: number;
  /**
   * True when nothing after `since` is missing from the retained history:
   * false when `since` is from another epoch or older than what is retained.
   * True without `since` (there is nothing to recover).
   */
  recovered: boolean;
}

/** Retention after defaults: `ttlMs` in milliseconds. */
export interface ResolvedRetention {
  size: number;
  ttlMs: number;
}

/** Default retention of a matched group. */
export const HISTORY_DEFAULTS = { size: 100, ttl: 300 } as const;

interface Rule {
  pattern: RegExp;
  retention: ResolvedRetention;
}

/**
 * Looks up whether a group keeps history, and how much.
 *
 * @example new HistoryTable([['chat_*', { size: 100, ttl: 300 }]]).retentionOf('chat_lobby') // { size: 100, ttlMs: 300000 }
 */
export class HistoryTable {
  readonly #rules: Rule[];
  readonly #cache = new Map<string, ResolvedRetention | null>();

  constructor(patterns: HistoryPatterns | undefined) {
    this.#rules = compile(patterns);
  }

  /** True when no group keeps history. */
  get empty(): boolean {
    return this.#rules.length === 0;
  }

  /** The retention of `group`, or null when it keeps no history. */
  retentionOf(group: string): ResolvedRetention | null {
    if (this.#rules.length === 0) return null;
    const cached = this.#cache.get(group);
    if (cached !== undefined) return cached;
    let found: ResolvedRetention | null = null;
    for (const rule of this.#rules) {
      if (rule.pattern.test(group)) {
        found = rule.retention;
        break;
      }
    }
    if (this.#cache.size >= 1024) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(group, found);
    return found;
  }
}

function compile(patterns: HistoryPatterns | undefined): Rule[] {
  if (patterns === undefined) return [];
  if (!Array.isArray(patterns)) {
    throw new InvalidOption("history must be an array of [pattern, {size, ttl}] pairs, e.g. [['chat_*', {size: 100, ttl: 300}]]");
  }
  return patterns.map((pair, index) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidOption(`history[${index}] must be a [pattern, {size, ttl}] pair`);
    const [pattern, retention] = pair as [unknown, unknown];
    if (retention === null || typeof retention !== 'object') throw new InvalidOption(`history[${index}][1] must be an object {size, ttl}`);
    const { size = HISTORY_DEFAULTS.size, ttl } = retention as HistoryRetention;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
      throw new InvalidOption(`history[${index}] size must be a whole number of messages >= 1, got ${String(size)}`);
    }
    const seconds = positiveOption(ttl, `history[${index}] ttl`, 'seconds', HISTORY_DEFAULTS.ttl);
    const resolved = { size, ttlMs: seconds * 1000 };
    if (typeof pattern === 'string') return { pattern: globToRegExp(pattern), retention: resolved };
    if (pattern instanceof RegExp) return { pattern: new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')), retention: resolved };
    throw new InvalidOption(`history[${index}] pattern must be a glob string or a RegExp, got ${typeof pattern}`);
  });
}

/** Throws InvalidOption unless `options` of groupHistory are well formed. */
export function assertHistoryOptions(options: GroupHistoryOptions): void {
  const { since, limit } = options;
  if (since !== undefined && since !== null) assertPosition(since, 'groupHistory since');
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidOption(`groupHistory limit must be a whole number >= 0, got ${String(limit)}`);
  }
}

/** Throws InvalidOption unless `value` is `{offset: integer >= 0, epoch: string}`. */
export function assertPosition(value: unknown, what: string): asserts value is HistoryPosition {
  const position = value as Partial<HistoryPosition> | null;
  if (
    position === null ||
    typeof position !== 'object' ||
    typeof position.offset !== 'number' ||
    !Number.isSafeInteger(position.offset) ||
    position.offset < 0 ||
    typeof position.epoch !== 'string' ||
    position.epoch.length > 64
  ) {
    throw new InvalidOption(`${what} must be {offset: a whole number >= 0, epoch: a string}`);
  }
}

/**
 * The history position a delivered group message carries, or null for a
 * message of a group without history (or a direct send).
 *
 * @example
 * async chatMessage(event) { const at = historyPositionOf(event); if (at) this.lastSeen = at; }
 */
export function historyPositionOf(message: Readonly<Record<string, unknown>>): HistoryPosition | null {
  const offset = message[HISTORY_OFFSET_KEY];
  const epoch = message[HISTORY_EPOCH_KEY];
  return typeof offset === 'number' && typeof epoch === 'string' ? { offset, epoch } : null;
}

/** A copy of `message` without the reserved history keys, e.g. to forward a whole event to a client. */
export function withoutHistoryKeys<T extends Readonly<Record<string, unknown>>>(message: T): Omit<T, '__offset__' | '__epoch__'> {
  const { [HISTORY_OFFSET_KEY]: _offset, [HISTORY_EPOCH_KEY]: _epoch, ...rest } = message as Record<string, unknown>;
  return rest as Omit<T, '__offset__' | '__epoch__'>;
}

/**
 * Which messages to replay after `history` was read for a join that passed
 * `since` (or none): every retained message after a current `since`, else
 * the newest `last`.
 */
export function replayOf<T>(history: GroupHistory<T>, since: HistoryPosition | null | undefined, last: number): Array<HistoryEntry<T>> {
  if (since != null && since.epoch === history.epoch) return history.messages.filter((entry) => entry.offset > since.offset);
  return last > 0 ? history.messages.slice(-last) : [];
}

/**
 * The answer to `groupHistory` from a group's retained entries (oldest first,
 * unexpired), its epoch and latest offset: the rule every backend follows.
 */
export function selectHistory<T>(entries: Array<HistoryEntry<T>>, epoch: string, latest: number, options: GroupHistoryOptions): GroupHistory<T> {
  const { since, limit } = options;
  if (since != null && since.epoch === epoch && since.offset <= latest) {
    const after = since.offset === 0 ? entries : entries.filter((entry) => entry.offset > since.offset);
    const recovered = since.offset === latest || (after.length > 0 && after[0]!.offset === since.offset + 1);
    return { messages: limit === undefined ? after : after.slice(0, limit), epoch, offset: latest, recovered };
  }
  const messages = limit === undefined ? entries : limit === 0 ? [] : entries.slice(-limit);
  return { messages, epoch, offset: latest, recovered: since == null };
}
