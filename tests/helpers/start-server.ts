/**
 * Starting a real Switchyard server for a test: port 0 on 127.0.0.1,
 * application errors collected instead of logged, and registered for
 * `closeAll()`.
 *
 * @example
 * const server = await startServer(app, { maxPayload: 1024 });
 * const client = await connectClient(`${server.url}/ws/echo/`);
 * afterEach(closeAll);
 */
import type { Application } from '../../src/application';
import { createServer, type SwitchyardServer } from '../../src/server/server';
import type { ServerOptions } from '../../src/server/options';
import { registerCloser } from './cleanup';

/** A started test server. */
export interface StartedServer {
  server: SwitchyardServer;
  port: number;
  /** `ws://127.0.0.1:<port>` (append the path). */
  url: string;
  /** `http://127.0.0.1:<port>` (append the path). */
  httpUrl: string;
  /** Errors passed to the server's `onError`, in order. */
  errors: unknown[];
  /** Graceful close, bounded (default 2 s); safe to call twice. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Creates and starts a server. Unless given, `onError` collects into
 * `errors`, `closeLayers` is false (the layer registry is process-wide;
 * tests that want it closed pass `closeLayers: true`) and the log level is
 * `warn` (no startup lines from every test server; tests of logging pass
 * their own `logger` or `logLevel`).
 */
export async function startServer(application: Application<any>, options: ServerOptions = {}): Promise<StartedServer> {
  const errors: unknown[] = [];
  const logging = options.logger !== undefined || options.logLevel !== undefined || options.logFormat !== undefined;
  const server = createServer(application, {
    closeLayers: false,
    ...(logging ? {} : { logLevel: 'warn' as const }),
    onError: (error) => {
      errors.push(error);
    },
    ...options,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const close = (timeoutMs = 2_000): Promise<void> => server.close({ timeoutMs });
  registerCloser(() => close());
  return { server, port, url: `ws://127.0.0.1:${port}`, httpUrl: `http://127.0.0.1:${port}`, errors, close };
}
