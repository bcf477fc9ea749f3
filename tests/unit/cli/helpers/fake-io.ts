import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../../../src/cli/cli-io';

/** A CliIo that records output and the exit code, for running commands in-process. */
export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
  exits: number[];
  signals: EventEmitter & CliIo['signals'];
  stdin: PassThrough;
}

export function fakeIo(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): FakeIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exits: number[] = [];
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env,
    cwd,
    exits,
    exit: (code) => void exits.push(code),
    signals: new EventEmitter(),
    out: () => out,
    err: () => err,
  };
}
