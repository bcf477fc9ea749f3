/**
 * Everything a command touches outside itself, injectable so tests can run
 * commands in-process and read what they print.
 */

/** The process-facing side of a command. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  /** Log lines and errors go here, keeping stdout for help text and the REPL. */
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ends the process (tests record the code instead). */
  exit(code: number): void;
  /** Where SIGTERM, SIGINT (and, for `serve --workers`, SIGHUP) arrive. */
  signals: {
    on(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', listener: () => void): unknown;
    off(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', listener: () => void): unknown;
  };
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    exit: (code) => process.exit(code),
    signals: process,
  };
}
