/**
 * What a channel layer backend is to the registry: a factory for URLs of its
 * scheme, and the checks those URLs must pass. Its own module, so built-in
 * backends describe themselves without importing the registry.
 */
import type { ChannelLayer, ChannelLayerOptions } from './channel-layer';

/** Options passed to a backend factory: the common ones plus backend-specific keys. */
export type LayerBackendOptions = ChannelLayerOptions & { [key: string]: unknown };

/** Builds a layer for a URL of its scheme. */
export type LayerBackendFactory = (url: URL, options: LayerBackendOptions) => ChannelLayer;

/**
 * What a backend accepts in its URLs, checked when a layer is configured
 * (before any connection), so a typo fails at startup rather than later.
 */
export interface LayerBackendChecks {
  /** Query keys the backend reads besides the common ones (capacity, expiry, group_expiry); others are refused. Omit to accept any. */
  queryKeys?: readonly string[];
  /** Throws InvalidChannelLayerConfig for anything else wrong with the URL (a database number, a host). */
  checkUrl?: (url: URL) => void;
}

/** A backend: its factory and checks. */
export interface LayerBackend {
  factory: LayerBackendFactory;
  checks: LayerBackendChecks;
}
