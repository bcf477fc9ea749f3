/** Options of the health endpoints (`createServer({ health })`), their defaults and checks. */
import { InvalidOption } from '../errors';

/** Health endpoints: liveness, readiness, and the readiness drain at shutdown. */
export interface HealthOptions {
  /** Liveness path: 200 while the process runs and its event loop is not stalled. Default `/healthz`. */
  livePath?: string;
  /** Readiness path: 200 while the channel layer answers and the server is not draining. Default `/readyz`. */
  readyPath?: string;
  /** Event-loop stall, in ms, past which liveness answers 503. Default 2 000. */
  maxEventLoopDelay?: number;
  /**
   * At `close()`, how long readiness answers 503 while the server still
   * serves, before connections are closed, in ms: long enough for a load
   * balancer's checks to notice (interval x failure threshold). Default 0.
   */
  drainDelay?: number;
  /** How long readiness waits for the layer to answer, in ms. Default 1 000. */
  layerTimeout?: number;
}

/** HealthOptions with defaults. */
export type ResolvedHealthOptions = Required<HealthOptions>;

/** The documented defaults. */
export const HEALTH_DEFAULTS: Readonly<ResolvedHealthOptions> = Object.freeze({
  livePath: '/healthz',
  readyPath: '/readyz',
  maxEventLoopDelay: 2_000,
  drainDelay: 0,
  layerTimeout: 1_000,
});

/** Fills in defaults; null when health endpoints are off. */
export function resolveHealthOptions(health: boolean | HealthOptions | undefined): ResolvedHealthOptions | null {
  if (health === undefined || health === false) return null;
  if (health === true) return { ...HEALTH_DEFAULTS };
  if (typeof health !== 'object' || health === null) {
    throw new InvalidOption('createServer: option health must be true, false or { livePath, readyPath, maxEventLoopDelay, drainDelay, layerTimeout }');
  }
  const resolved = { ...HEALTH_DEFAULTS } as ResolvedHealthOptions;
  for (const [key, value] of Object.entries(health)) {
    if (value === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(HEALTH_DEFAULTS, key)) {
      throw new InvalidOption(`createServer: unknown health option ${JSON.stringify(key)}; known: ${Object.keys(HEALTH_DEFAULTS).join(', ')}`);
    }
    (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of ['livePath', 'readyPath'] as const) {
    const path = resolved[key];
    if (typeof path !== 'string' || !/^\/[^\s?#]*$/.test(path)) {
      throw new InvalidOption(`createServer: health.${key} must be a path starting with "/" (no query), got ${JSON.stringify(path)}`);
    }
  }
  if (resolved.livePath === resolved.readyPath) throw new InvalidOption('createServer: health.livePath and health.readyPath must differ');
  for (const key of ['maxEventLoopDelay', 'layerTimeout'] as const) {
    if (typeof resolved[key] !== 'number' || !Number.isFinite(resolved[key]) || resolved[key] <= 0) {
      throw new InvalidOption(`createServer: health.${key} must be a positive number of milliseconds, got ${String(resolved[key])}`);
    }
  }
  if (typeof resolved.drainDelay !== 'number' || !Number.isFinite(resolved.drainDelay) || resolved.drainDelay < 0) {
    throw new InvalidOption(`createServer: health.drainDelay must be a number of milliseconds >= 0, got ${String(resolved.drainDelay)}`);
  }
  return resolved;
}
