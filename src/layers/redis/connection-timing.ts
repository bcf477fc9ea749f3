/**
 * Timing of Redis connections and retries: its own module so the public
 * option types do not pull in the connection code (and node-redis's types).
 */

/** Timing of connections and retries (milliseconds). */
export interface ConnectionTiming {
  /** Give up one connection attempt (TCP connect, handshake and first command) after this long. Default 2000. */
  connectTimeout: number;
  /**
   * A command connection that answers nothing for this long while commands
   * wait is dropped, failing them all. Default 3000.
   */
  commandTimeout: number;
  /** First retry delay after losing the server. Default 100. */
  retryMinDelay: number;
  /** Longest retry delay. Default 5000. */
  retryMaxDelay: number;
}

/** Defaults of ConnectionTiming. */
export const DEFAULT_TIMING: ConnectionTiming = {
  connectTimeout: 2000,
  commandTimeout: 3000,
  retryMinDelay: 100,
  retryMaxDelay: 5000,
};
