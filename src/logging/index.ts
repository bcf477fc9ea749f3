/**
 * Logging: one pino-compatible logger interface, a built-in stderr logger
 * (text or JSON, redacted), and the process logger the library writes to.
 */
export { LOG_LEVELS, LOG_LEVEL_ENV, LOG_FORMAT_ENV } from './levels';
export type { LogLevel, LogLevelName } from './levels';
export type { Logger, LogFn } from './logger';
export { createLogger } from './line-logger';
export type { LogFormat, LoggerOptions } from './line-logger';
export { getLogger, setLogger } from './process-logger';
export { redactUrl, redactHeaders, redactQueryString, redactSubprotocols, redactText, redactFields } from './redact';
