import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { scaled } from '../setup/calibrate';
import { waitForOutput } from '../helpers/child-output';

export const ROOT = path.join(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'switchyard.js');

/** A spawned `switchyard` process with its output collected. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first capture of the first stderr/stdout match of `re`. */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (teardown). */
  kill(): void;
}

const running = new Set<CliProcess>();

/** Spawn `node bin/switchyard.js ...args`; killed by `killAll()` in teardown. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const changed = (): void => listeners.forEach((l) => l());
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), changed()));
  child.stderr.on('data', (d: Buffer) => ((err += d.toString()), changed()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: CliProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, ms = 10_000) {
      const both = (): string => `stdout: ${out}\nstderr: ${err}`;
      return waitForOutput(child, listeners, () => re.exec(err) ?? re.exec(out), `output matching ${re}`, ms, both);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Kill every process still running and wait for them. */
export async function killAll(): Promise<void> {
  const procs = [...running];
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
}

/** Exit code within `ms`, or fail. */
export async function exitCode(proc: CliProcess, bound = 10_000): Promise<number | null> {
  const ms = scaled(bound);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms\nstderr: ${proc.stderr()}`)), ms);
  });
  try {
    return (await Promise.race([proc.exited, timeout])).code;
  } finally {
    clearTimeout(timer);
  }
}
