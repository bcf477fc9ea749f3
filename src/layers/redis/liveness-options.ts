/**
 * Options of the dead-process cleanup, in a module of their own so that the
 * public option types do not pull in the connection's node-redis types.
 */
/** How often a process beats and when a silent one counts as dead (seconds). */
export interface LivenessOptions {
  /** Seconds between beats and between checks for dead processes. Default 10. */
  interval?: number;
  /** Seconds without a beat after which a process counts as dead. Default 30. */
  timeout?: number;
}
