/**
 * `serve --workers [N|auto]`: how many server processes to run. The flag may
 * come without a value (one per core), so it is taken out of argv before the
 * strict parser sees it.
 */
import os from 'node:os';
import { usage } from './args';

/** Most workers one primary forks: far past any core count, low enough to catch a typo. */
export const MAX_WORKERS = 256;

/** What `--workers` asked for: a count, one per core, or nothing (a single process). */
export type WorkersRequest = number | 'auto' | undefined;

/**
 * Take `--workers`, `--workers N`, `--workers auto` and `--workers=N` out of
 * `argv`. A following word that is neither a number nor `auto` is left alone
 * (it is the module: `serve --workers app.js` means one worker per core).
 */
export function extractWorkers(argv: readonly string[]): { rest: string[]; workers: WorkersRequest } {
  const rest: string[] = [];
  let workers: WorkersRequest;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    let raw: string | undefined;
    if (arg.startsWith('--workers=')) raw = arg.slice('--workers='.length);
    else if (arg === '--workers') {
      const next = argv[i + 1];
      if (next !== undefined && /^(\d+|auto)$/i.test(next.trim())) {
        raw = next;
        i++;
      } else raw = 'auto';
    } else {
      rest.push(arg);
      continue;
    }
    workers = parseWorkers(raw);
  }
  return { rest, workers };
}

function parseWorkers(raw: string): WorkersRequest {
  const text = raw.trim().toLowerCase();
  if (text === 'auto' || text === '') return 'auto';
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw usage('serve', `--workers must be a number of processes from 1 to ${MAX_WORKERS}, or auto (one per core), got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The number of processes a request means on this machine. */
export function resolveWorkers(request: WorkersRequest): number {
  if (request === undefined) return 1;
  if (request === 'auto') return Math.max(1, Math.min(MAX_WORKERS, os.availableParallelism()));
  return request;
}
