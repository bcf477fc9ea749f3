/**
 * Waiting for a child process to print something: resolves with the first
 * capture group (or the whole match) as soon as it appears, rejects when the
 * child exits first or the time is up, and always says what came so far.
 */
import type { ChildProcess } from 'node:child_process';
import { scaled } from '../setup/calibrate';

/** Called when the watched output grows; add one to `listeners` per waiting call. */
export type OutputListener = () => void;

export function waitForOutput(
  child: ChildProcess,
  listeners: Set<OutputListener>,
  match: () => { readonly [index: number]: string | undefined } | null,
  what: string,
  bound: number,
  soFar: () => string,
): Promise<string> {
  // A child's start-up is what a loaded machine slows most: the bound scales with it.
  const ms = scaled(bound);
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const found = match();
      if (found === null) return;
      finish();
      resolve(found[1] ?? found[0] ?? '');
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no ${what} within ${ms} ms; output so far:\n${soFar()}`));
    }, ms);
    const onExit = (): void => {
      finish();
      reject(new Error(`exited before printing ${what}; output:\n${soFar()}`));
    };
    const finish = (): void => {
      clearTimeout(timer);
      listeners.delete(check);
      child.off('exit', onExit);
    };
    listeners.add(check);
    child.once('exit', onExit);
    check();
  });
}
