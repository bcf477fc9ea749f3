/**
 * The process logger: where code without a server at hand logs (consumers,
 * presence, layers, startup checks). The built-in line logger until one is
 * installed with `setLogger()`, or by a server given logging options.
 */
import { InvalidOption } from '../errors';
import { createLogger } from './line-logger';
import type { Logger } from './logger';

let installed: Logger | null = null;
let builtIn: Logger | null = null;

/** True when `value` has the methods Switchyard calls on a logger. */
export function isLogger(value: unknown): value is Logger {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'child'].every((name) => typeof candidate[name] === 'function');
}

/**
 * The logger Switchyard's own modules write to: the one installed with
 * `setLogger()`, else the built-in stderr logger (level from SWITCHYARD_LOG,
 * created on first use).
 */
export function getLogger(): Logger {
  if (installed !== null) return installed;
  builtIn ??= createLogger();
  return builtIn;
}

/**
 * Install `logger` (a pino instance, or a `createLogger()` one) as the
 * process logger; `null` goes back to the built-in one, re-reading
 * SWITCHYARD_LOG.
 *
 * @example
 * import pino from 'pino';
 * setLogger(pino({ level: process.env.LOG_LEVEL ?? 'info' }));
 */
export function setLogger(logger: Logger | null): void {
  if (logger !== null && !isLogger(logger)) {
    throw new InvalidOption('setLogger: expected a logger with trace/debug/info/warn/error/fatal and child() (a pino instance fits), or null');
  }
  installed = logger;
  if (logger === null) builtIn = null;
}

/** The installed logger, or null while the built-in one is in use (servers check before installing theirs). */
export function installedLogger(): Logger | null {
  return installed;
}

/** True when a line at `level` would be written: skips building fields nobody reads. */
export function isEnabled(logger: Logger, level: 'trace' | 'debug'): boolean {
  if (typeof logger.isLevelEnabled === 'function') return logger.isLevelEnabled(level);
  const current = String(logger.level);
  return level === 'trace' ? current === 'trace' : current === 'trace' || current === 'debug';
}
