/**
 * Near misses of CHANNEL_LAYER_URL in the environment. A misspelt variable
 * silently leaves a process on the embedded in-memory layer, where no other
 * process sees its group messages; a warning names the variable instead.
 */
import type { Logger } from '../logging/logger';

/** The variable the registry reads. */
const TARGET = 'CHANNEL_LAYER_URL';
/** Names already warned about in this process: one warning each, however many servers start. */
const warned = new Set<string>();

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), stopping early past `limit`. */
export function editDistance(a: string, b: string, limit = 3): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]![j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * Variables in `env` that look like a misspelling of CHANNEL_LAYER_URL
 * (`CHANNEL_LAYERS_URL`, `CHANNELS_LAYER_URL`, `channel_layer_url`, ...):
 * within two edits of it, ignoring case, and not the name itself.
 */
export function misspelledLayerVariables(env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  for (const name of Object.keys(env)) {
    if (name === TARGET || env[name] === undefined) continue;
    const upper = name.toUpperCase();
    if (upper === TARGET || editDistance(upper, TARGET, 2) <= 2) found.push(name);
  }
  return found.sort();
}

/** Warns once per process about each near miss of CHANNEL_LAYER_URL in `env`. */
export function warnMisspelledLayerVariables(env: NodeJS.ProcessEnv, log: Logger): void {
  for (const name of misspelledLayerVariables(env)) {
    if (warned.has(name)) continue;
    warned.add(name);
    const inUse = env[TARGET] !== undefined && env[TARGET] !== '';
    log.warn(
      `environment variable ${name} looks like a misspelling of ${TARGET} and is ignored; ` +
        (inUse ? `${TARGET} is set and is what counts` : `without ${TARGET} this process uses the embedded in-memory layer, which no other process shares`),
    );
  }
}
