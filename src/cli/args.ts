/**
 * Argument parsing for every command: node:util parseArgs in strict mode,
 * with its errors turned into UsageError messages that name the command and
 * point at its --help.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags and positionals of one command. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parse `argv` for `command`; throws UsageError for an unknown flag or a missing value. */
export function parseCommandArgs(command: string, argv: string[], options: Options): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    // Node quotes the option as '-p, --port <value>' or '--bogus': prefer the long name.
    const flag = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1];
    let text: string;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') text = `unknown option ${flag ?? message}`;
    else if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') text = flag ? `option ${flag} needs a value` : message;
    else text = message;
    throw usage(command, text);
  }
}

/** A UsageError pointing at the command's help. */
export function usage(command: string, problem: string): UsageError {
  const name = command ? `switchyard ${command}` : 'switchyard';
  return new UsageError(`${name}: ${problem}\nRun '${name} --help' for usage.`);
}

/** A TCP port from a flag or PORT: an integer 0..65535 (0 picks a free port). */
export function parsePort(command: string, raw: string, source: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port > 65535) {
    throw usage(command, `${source} must be a port number from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}
