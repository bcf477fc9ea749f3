/**
 * Bounds on the shape of a decoded JSON message, checked before any
 * transformation or validation. class-transformer and class-validator walk a
 * payload recursively and handle every key, declared or not (unknown keys
 * are stripped only after they were transformed and validated), so a small
 * frame could cost tens of milliseconds (thousands of keys) or overflow the
 * stack (thousands of nested arrays). This walk is iterative and touches
 * each value once: its cost is proportional to the frame's size, and it
 * stops at the first bound crossed.
 */
import { InvalidOption, JsonLimitExceeded } from '../errors';

/** Limits on one decoded JSON message (see `JsonWebsocketConsumer.jsonLimits`). */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays (the top-level object is depth 1). Default 32. */
  maxDepth: number;
  /** Most keys in one object. Default 256. */
  maxKeys: number;
  /** Most elements in one array. Default 4 096. */
  maxArrayLength: number;
  /** Most values in the whole message (every object, array, string, number, ...). Default 10 000. */
  maxValues: number;
}

/** The documented defaults of `JsonLimits`. */
export const JSON_LIMIT_DEFAULTS: Readonly<JsonLimits> = Object.freeze({
  maxDepth: 32,
  maxKeys: 256,
  maxArrayLength: 4096,
  maxValues: 10_000,
});

/**
 * Throws JsonLimitExceeded when `value` crosses one of `limits`.
 *
 * @example
 * checkJsonLimits(JSON.parse(text), { ...JSON_LIMIT_DEFAULTS, maxKeys: 64 });
 */
export function checkJsonLimits(value: unknown, limits: Readonly<JsonLimits> = JSON_LIMIT_DEFAULTS): void {
  if (value === null || typeof value !== 'object') return;
  const { maxDepth, maxKeys, maxArrayLength, maxValues } = limits;
  // An explicit stack (values and their depths side by side), never recursion.
  const values: object[] = [value];
  const depths: number[] = [1];
  let seen = 1;
  while (values.length > 0) {
    const node = values.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop() as number;
    if (depth > maxDepth) throw new JsonLimitExceeded('maxDepth', maxDepth, `nests deeper than ${maxDepth} levels`);
    if (Array.isArray(node)) {
      if (node.length > maxArrayLength) {
        throw new JsonLimitExceeded('maxArrayLength', maxArrayLength, `has an array of more than ${maxArrayLength} elements`);
      }
      seen += node.length;
      if (seen > maxValues) throw new JsonLimitExceeded('maxValues', maxValues, `has more than ${maxValues} values`);
      for (let i = 0; i < node.length; i++) {
        const child = node[i];
        if (child !== null && typeof child === 'object') {
          values.push(child);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    let keys = 0;
    for (const key in node) {
      if (++keys > maxKeys) throw new JsonLimitExceeded('maxKeys', maxKeys, `has an object with more than ${maxKeys} keys`);
      if (++seen > maxValues) throw new JsonLimitExceeded('maxValues', maxValues, `has more than ${maxValues} values`);
      const child = node[key];
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
}

/** Fills in the defaults and checks each limit is a positive integer (or Infinity). */
export function resolveJsonLimits(limits: Partial<JsonLimits> | undefined, where: string): Readonly<JsonLimits> {
  const resolved = { ...JSON_LIMIT_DEFAULTS, ...limits };
  for (const key of Object.keys(JSON_LIMIT_DEFAULTS) as Array<keyof JsonLimits>) {
    const n = resolved[key];
    if (typeof n !== 'number' || !(n === Infinity || (Number.isInteger(n) && n > 0))) {
      throw new InvalidOption(`${where}.${key} must be a positive integer or Infinity, got ${String(n)}`);
    }
  }
  return resolved;
}
