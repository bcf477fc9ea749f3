/** `switchyard serve <module>`: serve a module's application until SIGTERM/SIGINT. */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createServer } from '../server/server';
import { InMemoryChannelLayer } from '../layers/memory-layer';
import { runPrimary, WORKERS_ENV } from './cluster-primary';
import { extractWorkers, resolveWorkers } from './workers-option';
import { defaultLayer, layerSourceFromEnv } from './layer-from-env';
import { parseCommandArgs, parsePort, usage } from './args';
import type { CliIo } from './cli-io';
import { configureLayerFromEnv, loadUserModule, waitForSignal } from './command-context';
import { SERVE_HELP } from './help';
import { isLogLevel, LOG_LEVELS } from '../logging/levels';
import { createCliLogger } from './logger';

/** Default port when neither --port nor PORT is given. */
export const DEFAULT_PORT = 8000;
/** Default interface: loopback, so nothing is exposed by accident. */
export const DEFAULT_HOST = '127.0.0.1';

/** How long shutdown waits for connections' applications to return. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** Run the serve command; resolves with the exit code once the server has stopped. */
export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { rest, workers: workersRequest } = extractWorkers(argv);
  const { values, positionals } = parseCommandArgs('serve', rest, {
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    'drain-delay': { type: 'string' },
    metrics: { type: 'boolean' },
    'metrics-port': { type: 'string' },
    dashboard: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw usage('serve', 'missing <module>: the file that exports your application');
  if (positionals.length > 1) throw usage('serve', `unexpected argument ${JSON.stringify(positionals[1])}`);
  const host = (values.host as string | undefined) ?? DEFAULT_HOST;
  if (host.trim() === '') throw usage('serve', '--host needs an interface name or address, e.g. 127.0.0.1');
  const port =
    values.port !== undefined
      ? parsePort('serve', values.port as string, '--port')
      : io.env.PORT
        ? parsePort('serve', io.env.PORT, 'PORT')
        : DEFAULT_PORT;

  const level = values['log-level'] as string | undefined;
  if (level !== undefined && !isLogLevel(level)) throw usage('serve', `--log-level must be one of ${[...LOG_LEVELS, 'silent'].join(', ')}`);
  const format = values['log-format'] as string | undefined;
  if (format !== undefined && format !== 'text' && format !== 'json') throw usage('serve', '--log-format must be text or json');
  const drainRaw = values['drain-delay'] as string | undefined;
  const drainDelay = drainRaw === undefined ? 0 : Number(drainRaw);
  if (drainRaw !== undefined && (!/^\d+$/.test(drainRaw.trim()) || !Number.isSafeInteger(drainDelay))) {
    throw usage('serve', `--drain-delay must be a number of milliseconds, got ${JSON.stringify(drainRaw)}`);
  }
  const metricsPort = values['metrics-port'] !== undefined ? parsePort('serve', values['metrics-port'] as string, '--metrics-port') : undefined;
  const metrics = metricsPort !== undefined ? { port: metricsPort, host } : values.metrics === true;
  const token = io.env.SWITCHYARD_DASHBOARD_TOKEN?.trim() || undefined;
  const dashboard = values.dashboard === true ? (token ? { token } : true) : false;

  const log = createCliLogger(io, { level, format });
  const workers = resolveWorkers(workersRequest);
  // Inside a worker of `serve --workers`, the count comes from the primary.
  const inWorker = cluster.isWorker && io.env[WORKERS_ENV] !== undefined;
  const clusterSize = inWorker ? Number(io.env[WORKERS_ENV]) : workers;
  if (!inWorker && workers > 1) {
    const source = layerSourceFromEnv(io.env);
    if (source.url !== undefined && /^memory:/i.test(source.url)) throw memoryLayerRefused(workers, source.variable!);
    // One token for every worker, so the printed dashboard URL works whichever worker answers.
    const env: Record<string, string> = values.dashboard === true && !token ? { SWITCHYARD_DASHBOARD_TOKEN: randomBytes(18).toString('base64url') } : {};
    return runPrimary(io, { workers, log, env });
  }
  configureLayerFromEnv(io, log);
  const { application } = await loadUserModule(positionals[0]!, io, true);
  if (clusterSize > 1 && defaultLayer() instanceof InMemoryChannelLayer) throw memoryLayerRefused(clusterSize, 'the module');

  // The server logs the channel layer line (after probing it) and the listening line.
  let server;
  try {
    server = createServer(application!, { logger: log, health: { drainDelay }, metrics, dashboard });
  } catch (error) {
    log.error(`cannot start: ${(error as Error).message}`);
    return 1;
  }
  const wait = waitForSignal(io, log, inWorker);
  let address;
  try {
    address = await server.listen(port, host);
  } catch (error) {
    wait.cancel();
    await server.close({ timeoutMs: 1000 }).catch(() => undefined);
    const { code, syscall } = error as { code?: string; syscall?: string };
    if (syscall !== 'listen') throw error;
    const reason = code === 'EADDRINUSE' ? 'the address is in use (pick another --port, or 0 for a free one)' : (error as Error).message;
    log.error(`cannot listen on ${host}:${port}: ${reason}`);
    return 1;
  }
  const shownHost = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const metricsAddress = server.metricsAddress();
  if (metricsAddress !== null) log.info(`metrics on http://${shownHost}:${metricsAddress.port}/metrics`);
  else if (metrics !== false) log.info(`metrics on http://${shownHost}:${address.port}/metrics`);
  const dashboardUrl = server.dashboardUrl();
  // Written as is: the logger would redact the token, and printing it is the point of this line.
  if (dashboardUrl !== null) io.stderr.write(`[switchyard] dashboard at ${dashboardUrl}\n`);

  log.info(`shutting down (${await wait.signal})`);
  await server.close({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
  log.info('stopped');
  return 0;
}

/**
 * The in-memory layer lives inside one process: N workers would each have
 * their own groups, and a groupSend would reach only the sender's worker.
 */
function memoryLayerRefused(workers: number, source: string) {
  return usage(
    'serve',
    `--workers ${workers} needs a channel layer shared by the processes, but ${source === 'the module' ? 'the default layer is' : `${source} selects`} ` +
      'the in-memory layer (one per process: a group would be split between workers). ' +
      'Set REDIS_URL or CHANNEL_LAYER_URL=redis://... (or redis+pubsub://...), or run without --workers',
  );
}
