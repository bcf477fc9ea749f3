/**
 * Switchyard's public API. Everything an application imports comes from here;
 * the in-process test communicators live at `switchyard-channels/testing`.
 *
 * The sections follow the path a connection takes: server, routing,
 * middleware, consumers, channel layers.
 */
export * from './application';
export * from './errors';
export * from './close-codes';
export * from './server';
export * from './routing';
export * from './middleware';
export * from './consumers';
export * from './layers';
// Registers the redis://, rediss://, redis+pubsub:// layer URL schemes.
export * from './layers/redis';
export * from './presence';
export * from './logging';
export * from './metrics';
export * from './dashboard';
export { startShell } from './cli/repl';
export type { ShellOptions, Shell } from './cli/repl';
export { runWorker } from './cli/worker';
export type { WorkerOptions, WorkerHandle } from './cli/worker';
export * from './phoenix';
