/**
 * What a server (or the CLI) says about its channel layer at startup: one
 * line naming the backend and its redacted URL, after a bounded probe, so a
 * misconfiguration shows before the first connection instead of at it.
 */
import { InvalidChannelLayerConfig } from '../errors';
import type { Logger } from '../logging/logger';
import type { ChannelLayer } from './channel-layer';
import { warnMisspelledLayerVariables } from './env-spelling';
import { CHANNEL_LAYER_URL_ENV, channelLayerSource, getChannelLayer, type LayerSourceInfo } from './registry';

/** How long a startup probe waits for the layer, in ms. */
export const STARTUP_PROBE_MS = 3000;

/**
 * One cheap read (`groupMembers` of a probe group) within `timeoutMs`.
 * Resolves with the error, or undefined when the layer answered.
 */
export async function probeChannelLayer(layer: ChannelLayer, timeoutMs = STARTUP_PROBE_MS): Promise<Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([layer.groupMembers('switchyard.probe').then(() => undefined), timeout]);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    clearTimeout(timer);
  }
}

/** `RedisChannelLayer at redis://:***@cache:6379/0 (from REDIS_URL)`, or the embedded layer's note. */
export function describeLayerSource(layer: ChannelLayer | null, info: LayerSourceInfo): string {
  const kind = layer?.constructor?.name || 'channel layer';
  switch (info.kind) {
    case 'embedded':
      return `InMemoryChannelLayer (embedded, this process only; set ${CHANNEL_LAYER_URL_ENV} to share)`;
    case 'instance':
      return `${kind} (instance given to ${info.source})`;
    case 'url':
      return `${kind} at ${info.url} (from ${info.source})`;
    case 'none':
      return 'none';
  }
}

/**
 * Startup check of the `default` layer: warns about near misses of
 * CHANNEL_LAYER_URL in `env`, creates and probes a configured layer, and logs
 * one line. Throws InvalidChannelLayerConfig when the configuration is wrong
 * (also when the server refuses it, e.g. a database it does not have); an
 * unreachable layer is only a warning, since it keeps reconnecting.
 */
export async function announceDefaultLayer(log: Logger, env: NodeJS.ProcessEnv = process.env, probeMs = STARTUP_PROBE_MS): Promise<ChannelLayer | null> {
  warnMisspelledLayerVariables(env, log);
  const info = channelLayerSource('default');
  if (info.kind === 'none') {
    log.info('no default channel layer configured');
    return null;
  }
  if (info.kind === 'embedded') {
    log.info(`channel layer: ${describeLayerSource(null, info)}`);
    return null;
  }
  const layer = getChannelLayer('default');
  const description = describeLayerSource(layer, info);
  const problem = layer === null ? undefined : await probeChannelLayer(layer, probeMs);
  if (problem instanceof InvalidChannelLayerConfig) throw problem;
  // The message carries backend, URL and source: text and JSON lines read the same.
  if (problem === undefined) log.info(`layer connected: ${description}`);
  else log.warn(`layer not reachable yet (${problem.message}): ${description}; it keeps retrying`);
  return layer;
}
