/**
 * One line per lifecycle event, prefixed so it stands out from application
 * output: `[switchyard] listening on http://127.0.0.1:8000`.
 */

/** Writes one log line. */
export type CliLogger = (line: string) => void;

/** A logger writing to `stream` (stderr by default in the CLI). */
export function createLogger(stream: NodeJS.WritableStream): CliLogger {
  return (line) => {
    stream.write(`[switchyard] ${line}\n`);
  };
}

/**
 * A URL safe to print: the password (and a username used alone as a
 * credential, as in `redis://:secret@host`) replaced by `***`.
 *
 * @example
 * redactUrl('redis://user:secret@cache:6379/0'); // 'redis://user:***@cache:6379/0'
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not a URL: still never print what could be a credential after `:` and before `@`.
    return text.replace(/\/\/([^/@]*):[^/@]*@/, '//$1:***@');
  }
  if (url.password !== '') url.password = '***';
  return url.href;
}
