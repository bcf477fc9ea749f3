/**
 * Log levels: pino's names and numbers, so a pino logger and the built-in one
 * agree on what `debug` or `warn` means, plus `silent` to turn logging off.
 */
import { InvalidOption } from '../errors';

/** A level a line is logged at. */
export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** A logger's threshold: a line level, or `silent` for nothing at all. */
export type LogLevel = LogLevelName | 'silent';

/** Level numbers as pino writes them in JSON lines. */
export const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
});

/** The line levels, lowest first. */
export const LOG_LEVELS: readonly LogLevelName[] = Object.freeze(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Environment variable holding the built-in logger's level (`SWITCHYARD_LOG=debug`). */
export const LOG_LEVEL_ENV = 'SWITCHYARD_LOG';

/** Environment variable choosing the built-in logger's format (`SWITCHYARD_LOG_FORMAT=json`). */
export const LOG_FORMAT_ENV = 'SWITCHYARD_LOG_FORMAT';

/** True for a valid threshold name. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(LEVEL_VALUES, value);
}

/** Checks a level given as an option; `where` names the option in the error. */
export function checkLogLevel(value: unknown, where: string): LogLevel {
  if (isLogLevel(value)) return value;
  throw new InvalidOption(`${where} must be one of ${[...LOG_LEVELS, 'silent'].join(', ')}, got ${JSON.stringify(value)}`);
}
