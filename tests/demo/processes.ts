/**
 * Child processes for the demo's end-to-end tests: the demo server (through
 * tsx, in one process, so a signal reaches the server itself) and the
 * `switchyard` CLI. Output is collected; every process is stopped by
 * `stopAll()` (SIGTERM, then SIGKILL after a bound).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { waitForOutput } from '../helpers/child-output';
import { stopChild } from '../helpers/stop-child';

export const ROOT = path.join(__dirname, '..', '..');

/** A running child with its output. */
export interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  output(): string;
  /** The first capture group (or the match) of `re` in stdout+stderr, waiting up to `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  /** Wait up to `ms` until `check(output)` holds (for counts, which a regex can only express by backtracking). */
  waitUntil(check: (output: string) => boolean, what: string, ms?: number): Promise<void>;
  /** Write one line to stdin. */
  writeLine(line: string): void;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if still running after `ms`; resolves with the exit code. */
  stop(ms?: number): Promise<number | null>;
}

const running = new Set<Child>();

/** A minimal environment: nothing inherited by accident (REDIS_URL in particular). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, SWITCHYARD_HISTORY: '', NO_COLOR: '1', ...extra };
}

/** Run `node <args>` in the repository root. */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => undefined); // a child that exited early must not crash the test run
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const handle: Child = {
    process: child,
    output: () => text,
    exited,
    waitFor(re, ms = 15_000) {
      return waitForOutput(child, listeners, () => re.exec(text), `output matching ${re}`, ms, () => text);
    },
    async waitUntil(check, what, ms = 15_000) {
      await waitForOutput(child, listeners, () => (check(text) ? [text] : null), what, ms, () => text);
    },
    writeLine(line) {
      child.stdin.write(`${line}\n`);
    },
    async stop(ms = 8_000) {
      await stopChild(child, ms);
      return exited;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** `tsx demo/server.ts <args>` on port 0; resolves with the child and its URL once it listens. */
export async function startDemoProcess(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: Child; url: string }> {
  const child = spawnNode(['--import', 'tsx', 'demo/server.ts', '--port', '0', ...args], env);
  const url = await child.waitFor(/listening on (http:\/\/\S+)/);
  return { child, url };
}

/** `switchyard <args>` from this checkout. */
export function spawnSwitchyard(args: string[], env: NodeJS.ProcessEnv): Child {
  return spawnNode([path.join(ROOT, 'bin', 'switchyard.js'), ...args], env);
}

/** Stop every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}
