/**
 * `/healthz` and `/readyz`, answered by the server itself before the
 * application (plain GET/HEAD only, never an upgrade):
 *
 * - liveness: 200 while the event loop keeps up (timer drift under
 *   `maxEventLoopDelay`), else 503;
 * - readiness: 503 while the server drains (from the first moment of
 *   `close()`) or while the default channel layer does not answer a cheap
 *   read, else 200. Layer checks are shared: one in flight at a time, and a
 *   result is reused for half a second, so a flood of probes costs the layer
 *   at most two reads a second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { probeChannelLayer } from '../layers/layer-report';
import { channelLayerSource, getChannelLayer } from '../layers/registry';
import type { Logger } from '../logging/logger';
import type { ResolvedHealthOptions } from './health-options';
import { LoopMonitor } from './loop-monitor';

/** How long a layer check's result is reused, in ms. */
const LAYER_CHECK_REUSE_MS = 500;

interface Verdict {
  ok: boolean;
  body: Record<string, unknown>;
}

export class HealthEndpoints {
  readonly #options: ResolvedHealthOptions;
  readonly #log: Logger;
  readonly #monitor: LoopMonitor;
  #layerCheck: Promise<string | null> | null = null;
  #layerCheckedAt = -Infinity;
  #layerProblem: string | null = null;
  #wasReady: boolean | null = null;

  constructor(options: ResolvedHealthOptions, log: Logger) {
    this.#options = options;
    this.#log = log;
    this.#monitor = new LoopMonitor(Math.max(10, Math.min(500, options.maxEventLoopDelay / 4)));
  }

  get drainDelay(): number {
    return this.#options.drainDelay;
  }

  start(): void {
    this.#monitor.start();
  }

  stop(): void {
    this.#monitor.stop();
  }

  /** Answers `req` if it is a health request; false to let the application have it. */
  handle(req: IncomingMessage, res: ServerResponse, draining: boolean): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const question = url.indexOf('?');
    const path = question === -1 ? url : url.slice(0, question);
    if (path === this.#options.livePath) {
      respond(req, res, this.#liveness());
      return true;
    }
    if (path === this.#options.readyPath) {
      this.#readiness(draining).then(
        (verdict) => respond(req, res, verdict),
        () => respond(req, res, { ok: false, body: { status: 'error' } }),
      );
      return true;
    }
    return false;
  }

  #liveness(): Verdict {
    const delay = Math.round(this.#monitor.delay);
    if (delay > this.#options.maxEventLoopDelay) return { ok: false, body: { status: 'stalled', eventLoopDelayMs: delay } };
    return { ok: true, body: { status: 'ok', eventLoopDelayMs: delay } };
  }

  async #readiness(draining: boolean): Promise<Verdict> {
    if (draining) return this.#verdict(false, { status: 'draining' }, 'the server is draining');
    const problem = await this.#checkLayer();
    if (problem !== null) return this.#verdict(false, { status: 'unavailable', layer: 'unreachable' }, problem);
    return this.#verdict(true, { status: 'ready' }, null);
  }

  /** Logs readiness changes once (not every probe), with the reason kept out of the public body. */
  #verdict(ok: boolean, body: Record<string, unknown>, reason: string | null): Verdict {
    if (this.#wasReady !== ok) {
      if (ok && this.#wasReady === false) this.#log.info('readiness: ready again');
      else if (!ok && body.status === 'draining') this.#log.info('readiness: draining (503 until the server has closed)');
      else if (!ok) this.#log.warn(`readiness: not ready (${reason ?? 'unknown'})`);
      this.#wasReady = ok;
    }
    return { ok, body };
  }

  /** Null when the default layer answers (or is the embedded one), else why not. */
  #checkLayer(): Promise<string | null> {
    if (this.#layerCheck !== null) return this.#layerCheck;
    if (performance.now() - this.#layerCheckedAt < LAYER_CHECK_REUSE_MS) return Promise.resolve(this.#layerProblem);
    const check = this.#probe().then((problem) => {
      this.#layerProblem = problem;
      this.#layerCheckedAt = performance.now();
      this.#layerCheck = null;
      return problem;
    });
    this.#layerCheck = check;
    return check;
  }

  async #probe(): Promise<string | null> {
    try {
      const info = channelLayerSource('default');
      if (info.kind === 'embedded' || info.kind === 'none') return null;
      const layer = info.layer ?? getChannelLayer('default');
      if (layer === null) return null;
      const problem = await probeChannelLayer(layer, this.#options.layerTimeout);
      return problem === undefined ? null : `channel layer: ${problem.message}`;
    } catch (error) {
      return `channel layer: ${(error as Error)?.message ?? String(error)}`;
    }
  }
}

function respond(req: IncomingMessage, res: ServerResponse, verdict: Verdict): void {
  if (res.writableEnded || res.destroyed) return;
  const body = `${JSON.stringify(verdict.body)}\n`;
  res.writeHead(verdict.ok ? 200 : 503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
