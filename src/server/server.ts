/**
 * The Switchyard server: one Node HTTP server for plain requests and
 * WebSocket upgrades (ws in noServer mode), bounded at every step, with a
 * graceful, bounded shutdown.
 */
import * as http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Application, Scope } from '../application';
import { announceDefaultLayer } from '../layers/layer-report';
import { channelLayerSource, closeChannelLayers } from '../layers/registry';
import { redactUrl } from '../logging/redact';
import { installedLogger, isEnabled, setLogger } from '../logging/process-logger';
import { ConnectionTag, connectionTagOf } from '../metrics/connection-tag';
import { CONNECTION_TAG, instrumentation } from '../metrics/instrumentation';
import { MetricsEndpoint } from '../metrics/metrics-endpoint';
import { Dashboard } from '../dashboard/dashboard';
import { nodeHttpHandlerOf, type NodeHttpHandler } from '../routing/protocol-type-router';
import { HealthEndpoints } from './health';
import type { RefusalKind } from './refusal-reasons';
import { ServerBusy, ServerClosed, TooManyConnections } from '../errors';
import { AddressLimit } from './address-limit';
import { HttpExchange } from './http-bridge';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options';
import { writeRawResponse } from './raw-response';
import { redactScope } from './redact-scope';
import { checkUpgradeRequest, httpScopeOf, websocketScopeOf } from './request-scope';
import { ACCEPT_REQUEST, WebsocketConnection, type AcceptRequest, type ConnectionHost } from './websocket-connection';

/** Options for `SwitchyardServer.close()`. */
export interface CloseOptions {
  /** Upper bound for the whole shutdown, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Close the configured channel layers at the end. Default: the server's `closeLayers` option (true). */
  closeLayers?: boolean;
}

function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** A running (or ready to run) Switchyard server. Create it with `createServer()`. */
export class SwitchyardServer {
  /** The underlying Node HTTP server (for TLS termination in front, metrics, tests). */
  readonly httpServer: http.Server;
  #application: Application;
  #options: ResolvedServerOptions;
  #node: NodeHttpHandler | undefined;
  #wss: WebSocketServer;
  /** WebSocket connections in the handshake or open; the heartbeat skips all but the open ones (no second Set: idle memory). */
  #connections = new Set<WebsocketConnection>();
  #running = new Set<Promise<void>>();
  /** WebSocket connections whose application has not returned yet. */
  #runningApps = new Set<WebsocketConnection>();
  #closing: Promise<void> | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #pongChecks = new Set<NodeJS.Timeout>();
  #round = 0;
  #onDrained: (() => void) | null = null;
  #host: ConnectionHost;
  #health: HealthEndpoints | null;
  /** From the first moment of close(): readiness answers 503. */
  #draining = false;
  /** After the drain delay: new requests and handshakes get 503. */
  #stopping = false;
  /** This server installed its logger as the process logger (undone at close). */
  #installedLogger = false;
  #perAddress: AddressLimit;
  #metrics: MetricsEndpoint | null;
  #dashboard: Dashboard | null;

  constructor(application: Application, options: ServerOptions = {}) {
    if (typeof application !== 'function') {
      throw new TypeError('createServer(application): application must be a function (scope, receive, send)');
    }
    this.#application = application;
    this.#options = resolveServerOptions(options);
    this.#node = nodeHttpHandlerOf(application);
    const o = this.#options;
    // A malformed CHANNEL_LAYER_URL fails here, not at the first connection.
    channelLayerSource('default');
    this.#health = o.health === null ? null : new HealthEndpoints(o.health, o.logger);
    this.#perAddress = new AddressLimit(o.maxConnectionsPerAddress, o.trustedProxies);
    this.#metrics = o.metrics === false ? null : new MetricsEndpoint(o.metrics === true ? {} : o.metrics);
    this.#dashboard = o.dashboard === false ? null : new Dashboard(o.dashboard);

    // ws is loaded with the first server, not with the package: importing
    // switchyard-channels for its consumers, layers or communicators stays cheap.
    const { WebSocketServer: WsServer } = require('ws') as typeof import('ws');
    this.#wss = new WsServer({
      noServer: true,
      clientTracking: false,
      maxPayload: o.maxPayload,
      perMessageDeflate: o.perMessageDeflate,
      handleProtocols: (_offered, req) => (req as unknown as Record<symbol, AcceptRequest>)[ACCEPT_REQUEST]?.subprotocol ?? false,
    });
    this.#wss.on('headers', (lines, req) => {
      const accepted = (req as unknown as Record<symbol, AcceptRequest>)[ACCEPT_REQUEST];
      if (accepted === undefined) return;
      for (const [name, value] of accepted.headers) lines.push(`${name}: ${value}`);
    });

    this.httpServer = http.createServer({
      maxHeaderSize: o.maxHeaderSize,
      headersTimeout: o.headersTimeout,
      requestTimeout: o.requestTimeout,
      keepAliveTimeout: o.keepAliveTimeout,
      // Node checks header/request deadlines on this interval; keep it well under the deadlines.
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor((o.headersTimeout || 20_000) / 4))),
    });
    this.httpServer.on('request', this.#onRequest);
    this.httpServer.on('upgrade', this.#onUpgrade);
    if (o.idleSocketTimeout > 0) this.httpServer.on('connection', this.#onConnection);

    const server = this;
    this.#host = {
      options: o,
      wss: this.#wss,
      application: this.#dashboard === null ? application : this.#dashboard.wrap(application),
      opened(connection) {
        instrumentation.handshake('accepted');
        connectionTagOf(connection.scope)?.opened();
      },
      released(connection) {
        if (server.#connections.delete(connection)) server.#perAddress.release(connection.scope);
        connectionTagOf(connection.scope)?.closed();
        if (server.#connections.size === 0 && server.#onDrained !== null) server.#onDrained();
      },
      finished(connection) {
        server.#runningApps.delete(connection);
      },
    };
  }

  /** WebSocket connections in the handshake or open (until their socket has closed). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The metrics port's address when `metrics.port` is set and listening, else null (metrics on the main port, or off). */
  metricsAddress(): AddressInfo | null {
    return this.#metrics?.address() ?? null;
  }

  /**
   * The dashboard page's URL, token included (`http://host:port/dashboard?token=...`),
   * once listening with the `dashboard` option; else null. Print it at startup.
   */
  dashboardUrl(): string | null {
    const address = this.address();
    if (this.#dashboard === null || address === null) return null;
    const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}${this.#dashboard.path}?token=${encodeURIComponent(this.#dashboard.token)}`;
  }

  /** The bound address once listening, else null. */
  address(): AddressInfo | null {
    const address = this.httpServer.address();
    return address !== null && typeof address === 'object' ? address : null;
  }

  /**
   * Starts listening (port 0, the default, picks a free port) and starts
   * the heartbeat. First checks the default channel layer and logs one line
   * naming it (a configuration the layer's server refuses, such as a Redis
   * database it does not have, rejects here; an unreachable layer is a
   * warning). Resolves with the bound address.
   */
  async listen(port = 0, host?: string): Promise<AddressInfo> {
    if (this.#closing !== null) throw new ServerClosed();
    const log = this.#options.logger;
    if (this.#options.explicitLogger && installedLogger() === null) {
      setLogger(log);
      this.#installedLogger = true;
    }
    let address: AddressInfo;
    try {
      // Before listening: a layer configuration the server refuses stops startup here.
      await announceDefaultLayer(log);
      address = await new Promise<AddressInfo>((resolve, reject) => {
        const onError = (error: Error): void => {
          this.httpServer.removeListener('listening', onListening);
          reject(error);
        };
        const onListening = (): void => {
          this.httpServer.removeListener('error', onError);
          this.#startHeartbeat();
          this.#health?.start();
          resolve(this.address() as AddressInfo);
        };
        this.httpServer.once('error', onError);
        this.httpServer.once('listening', onListening);
        if (host === undefined) this.httpServer.listen(port);
        else this.httpServer.listen(port, host);
      });
    } catch (error) {
      this.#uninstallLogger();
      throw error;
    }
    this.#dashboard?.start();
    try {
      await this.#metrics?.listen();
    } catch (error) {
      await this.close({ timeoutMs: 1000, closeLayers: false });
      throw error;
    }
    const shown = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
    log.info(`listening on http://${shown}:${address.port}`);
    return address;
  }

  /**
   * Graceful shutdown: stops listening, refuses new handshakes (503), closes
   * every WebSocket with 1001, waits (bounded by `timeoutMs`) for every
   * application to return, terminates what is left, then closes the channel
   * layers. Calling it again returns the same promise.
   *
   * @example
   * process.once('SIGTERM', () => void server.close({ timeoutMs: 5_000 }));
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing === null) this.#closing = this.#shutdown(options);
    return this.#closing;
  }

  async #shutdown({ timeoutMs = 10_000, closeLayers = this.#options.closeLayers }: CloseOptions): Promise<void> {
    // Readiness turns 503 first; with a drain delay the server keeps serving
    // meanwhile, so a load balancer stops sending clients before any is closed.
    this.#draining = true;
    const drainDelay = this.#health?.drainDelay ?? 0;
    if (drainDelay > 0 && this.httpServer.listening) {
      this.#options.logger.info(`draining: readiness answers 503; closing connections in ${drainDelay} ms`);
      await new Promise((resolve) => setTimeout(resolve, drainDelay));
    }
    this.#stopping = true;
    const deadline = Date.now() + timeoutMs;
    this.#stopHeartbeat();
    const stopped = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.#wss.close();
    this.httpServer.closeIdleConnections();
    for (const connection of [...this.#connections]) connection.shutdown();

    while ((this.#running.size > 0 || this.#runningApps.size > 0) && Date.now() < deadline) {
      const apps = [...this.#runningApps].map((connection) => connection.finished);
      await bounded(Promise.allSettled([...this.#running, ...apps]), deadline - Date.now());
    }
    if (this.#connections.size > 0) {
      // Let close handshakes finish so clients see 1001 rather than a dropped socket.
      const drained = new Promise<void>((resolve) => (this.#onDrained = resolve));
      await bounded(drained, deadline - Date.now());
    }
    for (const connection of [...this.#connections]) connection.terminate();
    this.httpServer.closeAllConnections();

    if (closeLayers) {
      try {
        await closeChannelLayers();
      } catch (error) {
        this.#report(error, null);
      }
    }
    await this.#metrics?.close();
    this.#dashboard?.close();
    await bounded(stopped, Math.max(100, deadline - Date.now()));
    this.#health?.stop();
    this.#uninstallLogger();
  }

  #uninstallLogger(): void {
    if (this.#installedLogger && installedLogger() === this.#options.logger) setLogger(null);
    this.#installedLogger = false;
  }

  // ---------------------------------------------------------------- heartbeat

  #startHeartbeat(): void {
    const { pingInterval, pongTimeout } = this.#options;
    if (pingInterval <= 0 || this.#heartbeat !== null) return;
    this.#heartbeat = setInterval(() => {
      const round = ++this.#round;
      for (const connection of this.#connections) connection.ping(round);
      const check = setTimeout(() => {
        this.#pongChecks.delete(check);
        for (const connection of [...this.#connections]) connection.checkPong(round);
      }, pongTimeout);
      check.unref();
      this.#pongChecks.add(check);
    }, pingInterval);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    for (const check of this.#pongChecks) clearTimeout(check);
    this.#pongChecks.clear();
  }

  // ---------------------------------------------------------------- requests

  #onConnection = (socket: Socket): void => {
    // Cleared as soon as a request or upgrade arrives. A plain timer rather
    // than socket.setTimeout: clearing that one leaves its Timeout object on
    // the socket for the connection's whole life (idle memory per connection).
    const timer = setTimeout(destroySilentSocket, this.#options.idleSocketTimeout, socket, this.#options.headersTimeout > 0);
    timer.unref();
    silenceTimers.set(socket, timer);
  };

  #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    clearSilenceTimer(req.socket);
    if (this.#health !== null && this.#health.handle(req, res, this.#draining)) return;
    if (this.#stopping) {
      res.setHeader('connection', 'close');
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('server is shutting down\n');
      return;
    }
    if (this.#metrics?.handles(req)) return this.#metrics.serve(req, res);
    if (this.#dashboard?.handles(req)) return this.#dashboard.serve(req, res);
    const tag = instrumentation.on ? new ConnectionTag('http') : undefined;
    if (tag !== undefined) res.once('close', () => tag.closed());
    const node = this.#node;
    if (node !== undefined) {
      tag?.opened();
      try {
        const result = node(req, res) as { then?: unknown } | undefined;
        if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
          (result as Promise<unknown>).then(undefined, (error: unknown) => this.#nodeHandlerFailed(error, res));
        }
      } catch (error) {
        this.#nodeHandlerFailed(error, res);
      }
      return;
    }
    const scope = httpScopeOf(req);
    if (tag !== undefined && scope !== null) (scope as unknown as Record<symbol, unknown>)[CONNECTION_TAG] = tag;
    if (scope === null) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('Bad Request: the request path is not valid percent-encoding\n');
      return;
    }
    this.#track(new HttpExchange(scope, req, res, (error, s) => this.#report(error, s)).run(this.#application));
  };

  #nodeHandlerFailed(error: unknown, res: ServerResponse): void {
    this.#report(error, null);
    if (res.headersSent) res.destroy();
    else {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error\n');
    }
  }

  #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    clearSilenceTimer(socket);
    // Only when one is set (a keep-alive socket): setTimeout(0) on a fresh socket would create a Timeout to keep.
    if ((socket as Socket).timeout) (socket as Socket).setTimeout(0);
    if (this.#stopping) {
      instrumentation.handshake('shutting_down');
      this.#refusedUpgrade(req, 503, 'shutdown', 'server is shutting down');
      writeRawResponse(socket, 503, 'server is shutting down\n');
      return;
    }
    const invalid = checkUpgradeRequest(req);
    if (invalid !== null) {
      instrumentation.handshake('bad_request');
      this.#refusedUpgrade(req, invalid.status, 'invalid', `invalid handshake request: ${invalid.message}`);
      writeRawResponse(socket, invalid.status, `${invalid.message}\n`, invalid.headers);
      return;
    }
    if (this.#connections.size >= this.#options.maxConnections) {
      instrumentation.handshake('busy');
      const busy = new ServerBusy(this.#options.maxConnections);
      this.#refusedUpgrade(req, 503, 'limits', `over limits: ${busy.message}`, busy.code);
      writeRawResponse(socket, 503, `${busy.message}\n`, [['Retry-After', '5']]);
      return;
    }
    const tag = instrumentation.on ? new ConnectionTag('websocket', socket as Socket) : undefined;
    const scope = websocketScopeOf(req, tag);
    if (scope === null) {
      instrumentation.handshake('bad_request');
      this.#refusedUpgrade(req, 400, 'invalid', 'invalid handshake request: the request path is not valid percent-encoding');
      writeRawResponse(socket, 400, 'Bad Request: the request path is not valid percent-encoding\n');
      return;
    }
    if (!this.#perAddress.acquire(scope)) {
      instrumentation.handshake('rate_limited');
      writeRawResponse(socket, 429, `${new TooManyConnections(this.#options.maxConnectionsPerAddress).message}\n`, [['Retry-After', '5']]);
      return;
    }
    const connection = new WebsocketConnection(this.#host, req, socket, head, scope);
    this.#connections.add(connection);
    // Tracked by the connection itself (host.finished), not with a `.then` per connection: idle memory.
    this.#runningApps.add(connection);
    connection.start();
  };

  /** A handshake refused before any application ran: one `debug` line with the reason (off by default). */
  #refusedUpgrade(req: IncomingMessage, status: number, kind: RefusalKind, reason: string, code?: string): void {
    const log = this.#options.logger;
    if (!isEnabled(log, 'debug')) return;
    const { remoteAddress, remotePort } = req.socket;
    log.debug(
      { status, kind, ...(code === undefined ? {} : { code }), path: redactUrl(req.url ?? '/'), client: `${remoteAddress}:${remotePort}`, origin: req.headers.origin },
      `handshake refused with ${status}: ${reason}`,
    );
  }

  #track(running: Promise<void>): void {
    this.#running.add(running);
    running.then(() => this.#running.delete(running));
  }

  #report(error: unknown, scope: Scope | null): void {
    try {
      // Never the raw scope: it still holds the client's token and cookies.
      this.#options.onError(error, redactScope(scope));
    } catch {
      // The error hook itself failed; nothing sensible is left to do with it.
    }
  }
}

/** Timers of sockets that have not sent a request or an upgrade yet (idleSocketTimeout). */
const silenceTimers = new WeakMap<object, NodeJS.Timeout>();

function destroySilentSocket(socket: Socket, headersTimeoutOn: boolean): void {
  silenceTimers.delete(socket);
  // A client that sent part of a request head is not silent: Node's headersTimeout
  // answers it with the documented 408 instead of a silent destroy.
  if (socket.bytesRead > 0 && headersTimeoutOn) return;
  socket.destroy();
}

function clearSilenceTimer(socket: object): void {
  const timer = silenceTimers.get(socket);
  if (timer === undefined) return;
  clearTimeout(timer);
  silenceTimers.delete(socket);
}

/**
 * Creates a server for `application` (usually a ProtocolTypeRouter). Call
 * `listen()` to start it.
 *
 * @example
 * const server = createServer(ProtocolTypeRouter({ http: expressApp, websocket: wsRoutes }), { maxConnections: 10_000 });
 * const { port } = await server.listen(8000);
 */
export function createServer(application: Application<any>, options: ServerOptions = {}): SwitchyardServer {
  return new SwitchyardServer(application as Application, options);
}

/** Options for `serve()`: where to listen, plus every server option. */
export interface ServeOptions extends ServerOptions {
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Default: all interfaces. */
  host?: string;
}

/**
 * `createServer()` and `listen()` in one step; resolves once listening.
 *
 * @example
 * const server = await serve(application, { port: 8000 });
 * console.log(`listening on ${server.address()?.port}`);
 */
export async function serve(application: Application<any>, options: ServeOptions = {}): Promise<SwitchyardServer> {
  const { port = 8000, host, ...rest } = options;
  const server = createServer(application, rest);
  await server.listen(port, host);
  return server;
}
