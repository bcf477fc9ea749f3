/**
 * The logger contract: the subset of pino's API Switchyard calls, so a pino
 * instance (or anything shaped like one) plugs in as is.
 */
import type { LogLevel } from './levels';

/**
 * One level's method: `log.info('message')` or `log.info({ fields }, 'message')`.
 * Errors go under the `err` key, as pino's serializer expects.
 */
export interface LogFn {
  (message: string): void;
  (fields: object, message?: string): void;
}

/**
 * What Switchyard logs through. pino's `Logger` satisfies it; so does the
 * built-in one from `createLogger()`.
 *
 * @example
 * import pino from 'pino';
 * await serve(app, { logger: pino({ level: 'debug' }) });
 */
export interface Logger {
  /** The threshold: lines below it are dropped. */
  level: LogLevel | string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** A logger adding `bindings` to every line (a connection id, a component). */
  child(bindings: Record<string, unknown>): Logger;
  /** Whether a line at `level` would be written; lets callers skip building fields. */
  isLevelEnabled?(level: string): boolean;
}
