/**
 * Type-level tests for the operating options (checked by `tsc --noEmit`):
 * `metrics` and `dashboard` take a boolean or their options object, and
 * `setConnectionProtocol` accepts only the protocols a gauge is labelled with.
 */
import { expectTypeOf } from 'expect-type';
import { setConnectionProtocol, type ConnectionProtocol, type DashboardOptions, type MetricsOptions, type ServerOptions } from '../../src';

expectTypeOf<ServerOptions['metrics']>().toEqualTypeOf<boolean | MetricsOptions | undefined>();
expectTypeOf<ServerOptions['dashboard']>().toEqualTypeOf<boolean | DashboardOptions | undefined>();
expectTypeOf<ConnectionProtocol>().toEqualTypeOf<'websocket' | 'http' | 'sse' | 'phoenix'>();

const options: ServerOptions = { metrics: { port: 9464, prefix: 'chat_' }, dashboard: { token: 'a-long-enough-token', intervalMs: 1000 } };
void options;
// @ts-expect-error: a port is a number
const badPort: ServerOptions = { metrics: { port: '9464' } };
void badPort;
setConnectionProtocol({}, 'phoenix');
// @ts-expect-error: not a protocol label
setConnectionProtocol({}, 'mqtt');
