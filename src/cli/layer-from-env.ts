/**
 * The default channel layer from the environment: CHANNEL_LAYER_URL wins,
 * REDIS_URL alone means the Redis core layer at that URL, and with neither
 * the registry's embedded in-memory layer is used.
 */
import { InvalidChannelLayerConfig } from '../errors';
import type { ChannelLayer } from '../layers/channel-layer';
import { describeLayerSource, probeChannelLayer } from '../layers/layer-report';
import { CHANNEL_LAYER_URL_ENV, configureChannelLayers, getChannelLayer, noteConfigurationSource } from '../layers/registry';
import { redactUrl } from './logger';

/** Where the default layer's configuration came from. */
export interface LayerSource {
  /** The URL, or undefined for the embedded default. */
  url: string | undefined;
  /** The variable it came from. */
  variable: 'CHANNEL_LAYER_URL' | 'REDIS_URL' | undefined;
}

/** Read CHANNEL_LAYER_URL / REDIS_URL. */
export function layerSourceFromEnv(env: NodeJS.ProcessEnv): LayerSource {
  const explicit = env[CHANNEL_LAYER_URL_ENV]?.trim();
  if (explicit) return { url: explicit, variable: 'CHANNEL_LAYER_URL' };
  const redis = env.REDIS_URL?.trim();
  if (redis) return { url: redis, variable: 'REDIS_URL' };
  return { url: undefined, variable: undefined };
}

/**
 * Configure the registry's `default` alias from `source` (before the user's
 * module loads, so code that configures layers itself still wins). The URL
 * is checked in full now (scheme, query keys, database number), so a typo
 * stops the command before anything listens.
 */
export function configureDefaultLayer(source: LayerSource): void {
  if (source.url === undefined) return;
  let scheme: string;
  try {
    scheme = new URL(source.url).protocol.replace(/:$/, '').toLowerCase();
  } catch {
    throw new InvalidChannelLayerConfig(
      `${source.variable}=${JSON.stringify(redactUrl(source.url))} is not a URL; use e.g. memory:// or redis://127.0.0.1:6379/0`,
      'url',
    );
  }
  if (source.variable === 'REDIS_URL' && !scheme.startsWith('redis')) {
    throw new InvalidChannelLayerConfig(`REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(redactUrl(source.url))}`, 'scheme');
  }
  try {
    configureChannelLayers({ default: source.url });
  } catch (error) {
    if (!(error instanceof InvalidChannelLayerConfig)) throw error;
    throw new InvalidChannelLayerConfig(`${source.variable}: ${error.message.replace(/^channel layer alias "default": /, '')}`, error.part, { cause: error });
  }
  noteConfigurationSource(source.variable ?? null);
}

/** The default layer, or null when the configuration has none. */
export function defaultLayer(): ChannelLayer | null {
  return getChannelLayer('default');
}

/** A one-line description for the "layer connected" log line, passwords redacted. */
export function describeLayer(layer: ChannelLayer, source: LayerSource): string {
  if (source.url === undefined) return describeLayerSource(layer, { kind: 'embedded', source: 'embedded', layer });
  return describeLayerSource(layer, { kind: 'url', url: redactUrl(source.url), source: source.variable ?? 'configuration', layer });
}

/**
 * Check the layer answers, within `timeoutMs`: a cheap read. Resolves with an
 * error message instead of throwing, so a command can log it and go on (the
 * layer keeps reconnecting on its own).
 */
export async function probeLayer(layer: ChannelLayer, timeoutMs = 5000): Promise<string | undefined> {
  return (await probeChannelLayer(layer, timeoutMs))?.message;
}
