/**
 * The server: one Node HTTP server carrying plain HTTP to the `http` branch
 * and WebSocket upgrades to the `websocket` branch of an application.
 */
export { SwitchyardServer, createServer, serve } from './server';
export type { CloseOptions, ServeOptions } from './server';
export { SERVER_DEFAULTS, resolveServerOptions } from './options';
export type { ServerOptions, ResolvedServerOptions } from './options';
export { redactScope, REDACTED } from './redact-scope';
