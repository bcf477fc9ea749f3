/**
 * What the serve, shell and worker commands share: the layer from the
 * environment, the user's module, and waiting for a shutdown signal.
 */
import type { Application } from '../application';
import type { ChannelLayer } from '../layers/channel-layer';
import type { CliIo } from './cli-io';
import { InvalidChannelLayerConfig } from '../errors';
import { warnMisspelledLayerVariables } from '../layers/env-spelling';
import { probeChannelLayer } from '../layers/layer-report';
import { configureDefaultLayer, defaultLayer, describeLayer, layerSourceFromEnv } from './layer-from-env';
import { findApplication, loadModule, resolveModule } from './load-module';
import type { CliLogger } from './logger';

/**
 * Configure the default layer from the environment, then load `specifier`
 * (so a module that configures layers itself still wins) and find its
 * application. With `requireApplication` false, a module without one loads fine.
 */
export async function loadUserModule(
  specifier: string,
  io: CliIo,
  requireApplication: boolean,
): Promise<{ exports: Record<string, unknown>; application: Application | undefined }> {
  const target = resolveModule(specifier, io.cwd);
  const loaded = await loadModule(target);
  let application: Application | undefined;
  try {
    application = findApplication(loaded, target);
  } catch (error) {
    if (requireApplication) throw error;
  }
  return { exports: loaded, application };
}

/**
 * Configure the default layer from CHANNEL_LAYER_URL / REDIS_URL (before
 * loading the module), warning about near misses such as CHANNEL_LAYERS_URL.
 */
export function configureLayerFromEnv(io: CliIo, log: CliLogger): void {
  warnMisspelledLayerVariables(io.env, log);
  configureDefaultLayer(layerSourceFromEnv(io.env));
}

/** The default layer, checked and logged: `layer connected: RedisChannelLayer at redis://...`. */
export async function connectLayer(io: CliIo, log: CliLogger): Promise<ChannelLayer | null> {
  const layer = defaultLayer();
  if (layer === null) {
    log.info('no default channel layer configured');
    return null;
  }
  const description = describeLayer(layer, layerSourceFromEnv(io.env));
  const problem = await probeChannelLayer(layer, 5000);
  // A configuration the server refused (a database it does not have) is fatal; an outage is not.
  if (problem instanceof InvalidChannelLayerConfig) throw problem;
  if (problem === undefined) log.info(`layer connected: ${description}`);
  else log.warn(`layer not reachable yet (${problem.message}): ${description}; it keeps retrying`);
  return layer;
}

/** A pending wait for a shutdown signal. */
export interface SignalWait {
  /** Resolves with the first SIGTERM/SIGINT's name. */
  readonly signal: Promise<string>;
  /** Stop waiting (e.g. startup failed): removes the listeners and the keep-alive. */
  cancel(): void;
}

/**
 * Wait for the first SIGTERM/SIGINT. A second one while shutting down exits
 * at once with 1 (the usual "press Ctrl+C again to force"). With
 * `ignoreInterrupt` (a `serve --workers` worker) SIGINT is ignored: a
 * terminal's Ctrl+C reaches the whole process group, and the primary
 * tells each worker to stop with SIGTERM.
 */
export function waitForSignal(io: CliIo, log: CliLogger, ignoreInterrupt = false): SignalWait {
  // Signal listeners do not keep Node running; a worker on the memory layer
  // has nothing else that does (its timers are unref'ed), so hold the loop open.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let resolve!: (signal: string) => void;
  const signal = new Promise<string>((r) => (resolve = r));
  const force = (): void => {
    log.info('second signal: exiting now');
    io.exit(1);
  };
  const cancel = (): void => {
    clearInterval(keepAlive);
    io.signals.off('SIGTERM', onTerm);
    io.signals.off('SIGINT', onInt);
  };
  const first = (name: string) => (): void => {
    cancel();
    io.signals.on('SIGTERM', force);
    if (!ignoreInterrupt) io.signals.on('SIGINT', force);
    else io.signals.on('SIGINT', onInt);
    resolve(name);
  };
  const onTerm = first('SIGTERM');
  const onInt = ignoreInterrupt ? (): void => undefined : first('SIGINT');
  io.signals.on('SIGTERM', onTerm);
  io.signals.on('SIGINT', onInt);
  return { signal, cancel };
}
