/**
 * The CLI's logger: the library's line logger writing to the command's
 * stderr, level and format from the flags or the command's environment, so
 * lifecycle lines read `[switchyard] listening on http://127.0.0.1:8000`.
 */
import { createLogger, type LogFormat } from '../logging/line-logger';
import type { LogLevel } from '../logging/levels';
import type { Logger } from '../logging/logger';
import type { CliIo } from './cli-io';

export { redactUrl } from '../logging/redact';

/** The logger commands write to. */
export type CliLogger = Logger;

/** A logger on `io.stderr`; `level`/`format` win over SWITCHYARD_LOG / SWITCHYARD_LOG_FORMAT in `io.env`. */
export function createCliLogger(io: Pick<CliIo, 'stderr' | 'env'>, options: { level?: LogLevel; format?: LogFormat } = {}): CliLogger {
  return createLogger({ stream: io.stderr, env: io.env, level: options.level, format: options.format });
}
