/**
 * `/metrics`: a prom-client registry holding Switchyard's metric families
 * (and prom-client's default process metrics), served on the server's own
 * port or on a separate one. prom-client is an optional peer dependency,
 * loaded only when metrics are turned on.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOption } from '../errors';
import { requirePeer } from '../peer-dependency';
import { switchyardMetrics } from './collectors';
import { instrumentation } from './instrumentation';

/** The part of a prom-client `Registry` Switchyard uses (typed here so prom-client stays optional). */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** The `metrics` server option in full. */
export interface MetricsOptions {
  /** Path the exposition is served at. Default `/metrics`. */
  path?: string;
  /** Serve on this port instead of the server's own (0 picks a free one). Default: the server's port. */
  port?: number;
  /** Interface of the separate port. Default `127.0.0.1`. */
  host?: string;
  /** A prom-client `Registry` to register into (e.g. your app's). Default: a new one per server. */
  registry?: MetricsRegistry;
  /** Prefix of Switchyard's metric names. Default `switchyard_`. */
  prefix?: string;
  /** Also collect prom-client's default process metrics (event-loop lag, heap, GC...). Default true. */
  defaultMetrics?: boolean;
}

interface PromClient {
  Registry: new () => MetricsRegistry;
  collectDefaultMetrics(config: { register: MetricsRegistry }): void;
}

/** Loads prom-client, or explains how to install it. */
export function loadPromClient(feature = 'the metrics option'): PromClient {
  return requirePeer<PromClient>('prom-client', feature);
}

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A server's `/metrics`: the registry, and where it is served. */
export class MetricsEndpoint {
  readonly path: string;
  readonly registry: MetricsRegistry;
  readonly #port: number | undefined;
  readonly #host: string;
  readonly #disable: () => void;
  #server: http.Server | null = null;

  constructor(options: true | MetricsOptions) {
    const o: MetricsOptions = options === true ? {} : options;
    if (o === null || typeof o !== 'object') throw new InvalidOption('createServer: option metrics must be true or { path, port, registry, prefix }');
    this.path = o.path ?? '/metrics';
    if (typeof this.path !== 'string' || !this.path.startsWith('/')) {
      throw new InvalidOption(`createServer: metrics.path must start with "/", got ${JSON.stringify(o.path)}`);
    }
    if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) {
      throw new InvalidOption(`createServer: metrics.port must be a port number from 0 to 65535, got ${String(o.port)}`);
    }
    const prefix = o.prefix ?? 'switchyard_';
    if (typeof prefix !== 'string' || (prefix !== '' && !PREFIX.test(prefix))) {
      throw new InvalidOption(`createServer: metrics.prefix must be a Prometheus name prefix such as "switchyard_", got ${JSON.stringify(prefix)}`);
    }
    this.#port = o.port;
    this.#host = o.host ?? '127.0.0.1';
    const client = loadPromClient();
    this.registry = o.registry ?? new client.Registry();
    // A registry shared by several servers gets each family once: they all read the same process-wide counters.
    for (const metric of switchyardMetrics(prefix)) {
      if (this.registry.getSingleMetric(metric.name) === undefined) this.registry.registerMetric(metric as never);
    }
    if (o.defaultMetrics !== false && this.registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
      client.collectDefaultMetrics({ register: this.registry });
    }
    this.#disable = instrumentation.enable();
  }

  /** True when `req` is a scrape on the server's own port. */
  handles(req: IncomingMessage): boolean {
    return this.#port === undefined && pathOf(req.url) === this.path;
  }

  /** Answers a scrape (GET or HEAD). */
  serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    this.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics collection failed: ${(error as Error)?.message ?? String(error)}\n`);
      },
    );
  }

  /** Starts the separate port, when one is configured; resolves with its address (null: served on the main port). */
  async listen(): Promise<AddressInfo | null> {
    if (this.#port === undefined) return null;
    if (this.#server === null) {
      const server = http.createServer((req, res) => {
        if (pathOf(req.url) === this.path) this.serve(req, res);
        else {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`Not Found: metrics are at ${this.path}\n`);
        }
      });
      this.#server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.#port, this.#host, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
    }
    return this.address();
  }

  /** The separate port's address once listening, else null. */
  address(): AddressInfo | null {
    const address = this.#server?.address();
    return address !== null && typeof address === 'object' ? address : null;
  }

  /** Stops the separate port and the costlier measurements this server turned on. */
  async close(): Promise<void> {
    this.#disable();
    const server = this.#server;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The path of a request target, without the query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const question = url.indexOf('?');
  return question === -1 ? url : url.slice(0, question);
}
