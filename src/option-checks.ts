/**
 * The one check for numeric options that must be positive (timeouts,
 * intervals, rates, expiries), so every constructor refuses a bad value with
 * the same InvalidOption wording.
 */
import { InvalidOption } from './errors';

/**
 * `value` if it is a positive finite number, else InvalidOption naming
 * `what` (e.g. `'PresenceTracker: heartbeatMs'`) and the `unit` if given.
 * `undefined` gives `fallback` when one is passed.
 */
export function positiveOption(value: unknown, what: string, unit?: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOption(`${what} must be a positive number${unit ? ` of ${unit}` : ''}, got ${String(value)}`);
  }
  return value;
}
