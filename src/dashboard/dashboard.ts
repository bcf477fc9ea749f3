/**
 * The live dashboard: a token-protected page (one static HTML file with its
 * CSS and JS inline), a websocket route the server mounts for it, and a
 * publisher that sends this process's snapshot to a dashboard group on the
 * channel layer every few seconds, so every process sharing the layer shows
 * up as a row.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Application, Scope } from '../application';
import { InvalidOption } from '../errors';
import { getChannelLayer } from '../layers/registry';
import { instrumentation } from '../metrics/instrumentation';
import { pathOf } from '../metrics/metrics-endpoint';
import { dashboardSocketApp, queryToken } from './dashboard-consumer';
import { generateToken, tokenMatches } from './dashboard-token';
import { takeSnapshot, type ProcessSnapshot } from './snapshot';

/** The `dashboard` server option in full. */
export interface DashboardOptions {
  /** Path of the page; its websocket is at `<path>/ws`. Default `/dashboard`. */
  path?: string;
  /** The token the page and its websocket require (`?token=`). Default: a random one, see `server.dashboardUrl()`. */
  token?: string;
  /** Channel layer alias the snapshots travel on. Default `default`. */
  layerAlias?: string;
  /** How often this process publishes its snapshot, in ms. Default 2 000. */
  intervalMs?: number;
}

/** The group every process publishes its snapshot to. */
export const DASHBOARD_GROUP = 'switchyard.dashboard';

/** The page, shipped next to the compiled code (`assets/dashboard.html` at the package root). */
const PAGE_FILE = join(__dirname, '..', '..', 'assets', 'dashboard.html');
let page: Promise<Buffer> | null = null;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
};

/** A server's dashboard. */
export class Dashboard {
  readonly path: string;
  readonly socketPath: string;
  readonly token: string;
  readonly #alias: string;
  readonly #intervalMs: number;
  readonly #socketApp: Application;
  readonly #latest = new Map<string, ProcessSnapshot>();
  #timer: NodeJS.Timeout | null = null;
  #delay: IntervalHistogram | null = null;
  #disable: (() => void) | null = null;

  constructor(options: true | DashboardOptions) {
    const o: DashboardOptions = options === true ? {} : options;
    if (o === null || typeof o !== 'object') throw new InvalidOption('createServer: option dashboard must be true or { path, token, layerAlias, intervalMs }');
    this.path = o.path ?? '/dashboard';
    if (typeof this.path !== 'string' || !/^\/[\w\-./]*[\w-]$/.test(this.path)) {
      throw new InvalidOption(`createServer: dashboard.path must be an absolute path such as "/dashboard", got ${JSON.stringify(o.path)}`);
    }
    this.socketPath = `${this.path}/ws`;
    if (o.token !== undefined && (typeof o.token !== 'string' || o.token.length < 16)) {
      throw new InvalidOption('createServer: dashboard.token must be a string of at least 16 characters (or leave it out to get a random one)');
    }
    this.token = o.token ?? generateToken();
    this.#alias = o.layerAlias ?? 'default';
    this.#intervalMs = o.intervalMs ?? 2000;
    if (!Number.isFinite(this.#intervalMs) || this.#intervalMs < 100) {
      throw new InvalidOption(`createServer: dashboard.intervalMs must be at least 100, got ${String(o.intervalMs)}`);
    }
    this.#socketApp = dashboardSocketApp({
      token: this.token,
      group: DASHBOARD_GROUP,
      alias: this.#alias,
      latest: () => this.#currentSnapshots(),
    });
  }

  /** True for a request for the page. */
  handles(req: IncomingMessage): boolean {
    const path = pathOf(req.url);
    return path === this.path || path === `${this.path}/`;
  }

  /** Serves the page after checking the token: 401 without one, 403 with a wrong one. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    const url = req.url ?? '';
    const token = queryToken(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    if (token === null || !tokenMatches(token, this.token)) {
      const status = token === null ? 401 : 403;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(status === 401 ? 'The dashboard needs its token: open it as ?token=<token> (printed at startup).\n' : 'Wrong dashboard token.\n');
      return;
    }
    page ??= readFile(PAGE_FILE);
    page.then(
      (body) => {
        res.writeHead(200, { ...PAGE_HEADERS, 'content-length': String(body.length) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        page = null;
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`the dashboard page could not be read: ${(error as Error).message}\n`);
      },
    );
  }

  /** `application` with the dashboard's websocket route in front of it. */
  wrap(application: Application): Application {
    const socketApp = this.#socketApp;
    const socketPath = this.socketPath;
    const dashboard = this;
    return function withDashboard(scope: Scope, receive, send) {
      if (scope.type === 'websocket' && (scope.path === socketPath || scope.path === `${socketPath}/`)) {
        return socketApp(scope, receive, async (event) => {
          // Remember what the page was sent, so a page opening later starts with every process.
          if (event.type === 'websocket.send' && typeof event.text === 'string') dashboard.#remember(event.text);
          return send(event);
        });
      }
      return application(scope, receive, send);
    };
  }

  /** Starts publishing this process's snapshot. */
  start(): void {
    if (this.#timer !== null) return;
    this.#disable = instrumentation.enable();
    this.#delay = monitorEventLoopDelay({ resolution: 20 });
    this.#delay.enable();
    this.#timer = setInterval(() => this.#publish(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops publishing. */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#delay?.disable();
    this.#disable?.();
  }

  #publish(): void {
    const layer = getChannelLayer(this.#alias);
    if (layer === null) return;
    const snapshot = takeSnapshot(this.#delay, DASHBOARD_GROUP);
    this.#latest.set(snapshot.process.id, snapshot);
    // An unavailable layer shows on the page as layer health; publishing simply resumes.
    layer.groupSend(DASHBOARD_GROUP, { type: 'dashboard.snapshot', snapshot } as never).catch(() => undefined);
  }

  #remember(text: string): void {
    try {
      const snapshot = JSON.parse(text) as ProcessSnapshot;
      if (typeof snapshot?.process?.id === 'string') this.#latest.set(snapshot.process.id, snapshot);
    } catch {
      // Not a snapshot: nothing to remember.
    }
  }

  #currentSnapshots(): ProcessSnapshot[] {
    const own = takeSnapshot(null, DASHBOARD_GROUP);
    this.#latest.set(own.process.id, own);
    const cutoff = Date.now() - 3 * this.#intervalMs;
    for (const [id, snapshot] of this.#latest) if (snapshot.at < cutoff) this.#latest.delete(id);
    return [...this.#latest.values()];
  }
}
