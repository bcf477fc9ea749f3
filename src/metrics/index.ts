/**
 * Operating Switchyard: Prometheus metrics (the `metrics` server option) and
 * the hook a protocol implementation uses to label its connections.
 */
export { setConnectionProtocol } from './connection-tag';
export { UNROUTED } from './instrumentation';
export type { ConnectionProtocol, RefusalReason } from './instrumentation';
export type { MetricsOptions, MetricsRegistry } from './metrics-endpoint';
