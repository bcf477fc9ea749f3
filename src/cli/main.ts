/**
 * The `switchyard` command: dispatches to serve, shell and worker, turns
 * errors into one clear message and an exit code (2 for bad arguments, 1 for
 * anything else), and never leaves a rejected promise behind.
 */
import { isSwitchyardError, UsageError } from '../errors';
import { usage } from './args';
import { processIo, type CliIo } from './cli-io';
import { MAIN_HELP, SERVE_HELP, SHELL_HELP, WORKER_HELP } from './help';
import { serveCommand } from './serve-command';
import { shellCommand } from './shell-command';
import { workerCommand } from './worker-command';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = { serve: serveCommand, shell: shellCommand, worker: workerCommand };
const HELP: Record<string, string> = { serve: SERVE_HELP, shell: SHELL_HELP, worker: WORKER_HELP };

function version(): string {
  try {
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Run the command line `argv` (without node and the script); resolves with the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) {
      io.stderr.write(MAIN_HELP);
      return 2;
    }
    if (command === '--help' || command === '-h') {
      io.stdout.write(MAIN_HELP);
      return 0;
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    if (command === 'help') {
      const topic = rest[0];
      if (topic === undefined) io.stdout.write(MAIN_HELP);
      else if (HELP[topic] !== undefined) io.stdout.write(HELP[topic]);
      else throw usage('', `no help for unknown command ${JSON.stringify(topic)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
      return 0;
    }
    const handler = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (handler === undefined) {
      const what = command.startsWith('-') ? `unknown option ${command}` : `unknown command ${JSON.stringify(command)}`;
      throw usage('', `${what}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    }
    return await handler(rest, io);
  } catch (error) {
    return report(error, command, io);
  }
}

function report(error: unknown, command: string | undefined, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr.write(`${error.message}\n`);
    return error.exitCode;
  }
  const name = command && Object.prototype.hasOwnProperty.call(COMMANDS, command) ? `switchyard ${command}` : 'switchyard';
  if (isSwitchyardError(error)) {
    // Catalogue errors carry a message that says how to fix them: no stack needed.
    io.stderr.write(`${name}: ${error.message} [${error.code}]\n`);
  } else {
    io.stderr.write(`${name}: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  return 1;
}

/**
 * Entry point of bin/switchyard.js: runs `argv` and ends the process with
 * its exit code (sockets or timers left by user code cannot keep it alive).
 *
 * @example
 * main(process.argv.slice(2));
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<void> {
  const code = await run(argv, io);
  io.exit(code);
}

// `tsx src/cli/main.ts shell` (npm run shell) runs this file directly.
if (require.main === module) void main(process.argv.slice(2));
