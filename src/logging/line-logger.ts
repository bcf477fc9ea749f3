/**
 * The built-in logger: one line per event to stderr (or a given stream), as
 * readable text (`[switchyard] WARN message key=value`) or as pino-style JSON
 * (`{"level":40,"time":...,"msg":"message",...}`), fields redacted.
 */
import { hostname } from 'node:os';
import { InvalidOption } from '../errors';
import { LEVEL_VALUES, LOG_FORMAT_ENV, LOG_LEVEL_ENV, checkLogLevel, isLogLevel, type LogLevel, type LogLevelName } from './levels';
import type { LogFn, Logger } from './logger';
import { redactFields, redactText } from './redact';

/** How lines are written: readable text (default) or one JSON object per line. */
export type LogFormat = 'text' | 'json';

/** Options of `createLogger()`. */
export interface LoggerOptions {
  /** Threshold. Default: the SWITCHYARD_LOG environment variable, else `info`. */
  level?: LogLevel;
  /** `text` or `json`. Default: the SWITCHYARD_LOG_FORMAT environment variable, else `text`. */
  format?: LogFormat;
  /** Where lines go. Default `process.stderr`. */
  stream?: { write(chunk: string): unknown };
  /** Fields added to every line. */
  bindings?: Record<string, unknown>;
  /** Environment read for the defaults. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Checks a format given as an option. */
export function checkLogFormat(value: unknown, where: string): LogFormat {
  if (value === 'text' || value === 'json') return value;
  throw new InvalidOption(`${where} must be "text" or "json", got ${JSON.stringify(value)}`);
}

/** The level SWITCHYARD_LOG asks for; an unknown value means `info` (and is reported once by the caller). */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel | undefined {
  const raw = env[LOG_LEVEL_ENV]?.trim().toLowerCase();
  return raw && isLogLevel(raw) ? raw : undefined;
}

interface Shared {
  format: LogFormat;
  stream: { write(chunk: string): unknown };
  threshold: number;
  level: LogLevel;
}

const PID = process.pid;
const HOST = hostname();

class LineLogger implements Logger {
  readonly #shared: Shared;
  readonly #bindings: Record<string, unknown>;
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;

  constructor(shared: Shared, bindings: Record<string, unknown>) {
    this.#shared = shared;
    this.#bindings = bindings;
    const method = (level: LogLevelName): LogFn =>
      ((fieldsOrMessage: object | string, message?: string) => {
        if (LEVEL_VALUES[level] < this.#shared.threshold) return;
        this.#write(level, fieldsOrMessage, message);
      }) as LogFn;
    this.trace = method('trace');
    this.debug = method('debug');
    this.info = method('info');
    this.warn = method('warn');
    this.error = method('error');
    this.fatal = method('fatal');
  }

  get level(): LogLevel {
    return this.#shared.level;
  }

  /** Changing the level of one logger changes it for its children too (they share the stream). */
  set level(level: LogLevel | string) {
    const checked = checkLogLevel(level, 'logger.level');
    this.#shared.level = checked;
    this.#shared.threshold = LEVEL_VALUES[checked];
  }

  isLevelEnabled(level: string): boolean {
    return isLogLevel(level) && level !== 'silent' && LEVEL_VALUES[level] >= this.#shared.threshold;
  }

  child(bindings: Record<string, unknown>): Logger {
    return new LineLogger(this.#shared, { ...this.#bindings, ...bindings });
  }

  #write(level: LogLevelName, fieldsOrMessage: object | string, message: string | undefined): void {
    let fields: Record<string, unknown> = {};
    let text: string;
    if (typeof fieldsOrMessage === 'string') text = fieldsOrMessage;
    else {
      if (fieldsOrMessage instanceof Error) fields = { err: fieldsOrMessage };
      else if (fieldsOrMessage !== null && typeof fieldsOrMessage === 'object') fields = fieldsOrMessage as Record<string, unknown>;
      text = message ?? (fieldsOrMessage instanceof Error ? fieldsOrMessage.message : '');
    }
    const all = redactFields({ ...this.#bindings, ...fields }) as Record<string, unknown>;
    text = redactText(String(text));
    let line: string;
    if (this.#shared.format === 'json') {
      line = safeJson({ level: LEVEL_VALUES[level], time: Date.now(), pid: PID, hostname: HOST, name: 'switchyard', ...all, msg: text });
    } else {
      line = textLine(level, text, all, this.#shared.threshold <= LEVEL_VALUES.debug);
    }
    try {
      this.#shared.stream.write(`${line}\n`);
    } catch {
      // A broken log stream must not break the caller.
    }
  }
}

function safeJson(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify({ level: record.level, time: record.time, msg: record.msg, logError: 'fields could not be serialized' });
  }
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return safeJson(value as Record<string, unknown>);
  return String(value);
}

function textLine(level: LogLevelName, message: string, fields: Record<string, unknown>, withStack: boolean): string {
  let line = level === 'info' ? `[switchyard] ${message}` : `[switchyard] ${level.toUpperCase()} ${message}`;
  let stack: string | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const err = value as { type?: string; message?: string; code?: unknown; stack?: string };
      line += ` err=${textValue(`${err.type ?? 'Error'}: ${err.message ?? ''}`)}`;
      if (err.code !== undefined) line += ` code=${textValue(err.code)}`;
      stack = err.stack;
      continue;
    }
    line += ` ${key}=${textValue(value)}`;
  }
  // One line per event; the stack only when debugging, indented under its line.
  if (withStack && stack !== undefined) line += `\n${stack.split('\n').slice(1).map((l) => `    ${l.trim()}`).join('\n')}`;
  return line;
}

/**
 * A logger writing one line per event to stderr. The level comes from
 * `level`, else SWITCHYARD_LOG, else `info`; the format from `format`, else
 * SWITCHYARD_LOG_FORMAT, else `text`. Fields are redacted (see `redactFields`).
 *
 * @example
 * const log = createLogger({ level: 'debug', format: 'json' });
 * log.child({ conn: 7 }).debug({ status: 403 }, 'handshake refused');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const level = options.level !== undefined ? checkLogLevel(options.level, 'createLogger: option level') : (levelFromEnv(env) ?? 'info');
  const rawFormat = options.format ?? env[LOG_FORMAT_ENV]?.trim().toLowerCase();
  const format = rawFormat === undefined || rawFormat === '' ? 'text' : checkLogFormat(rawFormat, options.format !== undefined ? 'createLogger: option format' : LOG_FORMAT_ENV);
  const stream = options.stream ?? process.stderr;
  if (typeof stream?.write !== 'function') throw new InvalidOption('createLogger: option stream must have a write(chunk) method');
  return new LineLogger({ format, stream, level, threshold: LEVEL_VALUES[level] }, { ...options.bindings });
}
