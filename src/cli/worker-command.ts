/** `switchyard worker <module> <channel...>`: Django's runworker. */
import { closeChannelLayers } from '../layers/registry';
import { parseCommandArgs, usage } from './args';
import type { CliIo } from './cli-io';
import { configureLayerFromEnv, connectLayer, loadUserModule, waitForSignal } from './command-context';
import { WORKER_HELP } from './help';
import { createCliLogger } from './logger';
import { assertWorkerChannel, runWorker } from './worker';

/** Run the worker; resolves with the exit code after SIGTERM/SIGINT. */
export async function workerCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('worker', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(WORKER_HELP);
    return 0;
  }
  const [specifier, ...named] = positionals;
  if (specifier === undefined) throw usage('worker', 'missing <module>: the file that exports your ChannelNameRouter');
  const log = createCliLogger(io);
  configureLayerFromEnv(io, log);
  const { application } = await loadUserModule(specifier, io, true);
  const declared = (application as { channelNames?: readonly string[] }).channelNames;
  const channels = named.length > 0 ? named : [...(declared ?? [])];
  if (channels.length === 0) throw usage('worker', 'name at least one channel to read, e.g. switchyard worker app.ts thumbnails');
  for (const channel of channels) {
    try {
      assertWorkerChannel(channel);
    } catch {
      throw usage('worker', `${JSON.stringify(channel)} is not a channel a worker can read: use names like "thumbnails" or "chat-bot" (letters, digits, - _ .; no "!")`);
    }
  }
  const layer = await connectLayer(io, log);
  if (layer === null) {
    log.error('a worker needs a channel layer: set CHANNEL_LAYER_URL or REDIS_URL');
    return 1;
  }
  const worker = runWorker({ application: application!, channels, layer, log: (line) => log.warn(line) });
  const wait = waitForSignal(io, log);
  log.info(`worker reading ${channels.join(', ')}`);
  log.info(`shutting down (${await wait.signal})`);
  await worker.stop();
  await closeChannelLayers();
  log.info('stopped');
  return 0;
}
