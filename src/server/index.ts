/**
 * The server: one Node HTTP server carrying plain HTTP to the `http` branch
 * and WebSocket upgrades to the `websocket` branch of an application.
 */
export { SwitchyardServer, createServer, serve } from './server';
export type { CloseOptions, ServeOptions } from './server';
export { SERVER_DEFAULTS, resolveServerOptions } from './options';
export type { ServerOptions, ResolvedServerOptions, PerMessageDeflateOptions } from './options';
export { HEALTH_DEFAULTS } from './health-options';
export type { HealthOptions, ResolvedHealthOptions } from './health-options';
export type { RefusalKind } from './refusal-reasons';
export { redactScope, REDACTED } from './redact-scope';
