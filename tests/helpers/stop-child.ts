/** Ending a child process a test started, within a bound whatever it does. */
import type { ChildProcess } from 'node:child_process';

/**
 * SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves
 * once it has exited (at once if it already had).
 */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    timer.unref();
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
