/** `switchyard shell [module]`: a REPL on the configured channel layer. */
import { closeChannelLayers } from '../layers/registry';
import { parseCommandArgs, usage } from './args';
import type { CliIo } from './cli-io';
import { configureLayerFromEnv, connectLayer, loadUserModule } from './command-context';
import { SHELL_HELP } from './help';
import { createCliLogger } from './logger';
import { defaultHistoryPath, displayPath, startShell } from './repl';

/** Run the shell; resolves with the exit code when the REPL ends. */
export async function shellCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('shell', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(SHELL_HELP);
    return 0;
  }
  if (positionals.length > 1) throw usage('shell', `unexpected argument ${JSON.stringify(positionals[1])}`);
  const log = createCliLogger(io);
  configureLayerFromEnv(io, log);
  const context: Record<string, unknown> = {};
  if (positionals[0] !== undefined) {
    const { exports, application } = await loadUserModule(positionals[0], io, false);
    context.mod = exports;
    if (application) context.app = application;
  }
  const layer = await connectLayer(io, log);
  if (layer === null) {
    log.error('the shell needs a channel layer: set CHANNEL_LAYER_URL, or configure a default layer in the module');
    return 1;
  }
  const history = defaultHistoryPath(io.env);
  if ((io.stdin as { isTTY?: boolean }).isTTY) {
    io.stdout.write(`Switchyard shell: \`layer\` is the default channel layer; type help() for helpers${history ? `, history in ${displayPath(history)}` : ''}.\n`);
  }
  const shell = startShell({ layer, input: io.stdin, output: io.stdout, context, history });
  await shell.closed;
  // A piped session ends right after a prompt: finish its line.
  if (!shell.server.terminal) io.stdout.write('\n');
  await closeChannelLayers();
  return 0;
}
