/**
 * Memberships of dead processes. Every Switchyard process beats into one
 * hash (`<prefix>:processes`, token -> last beat in ms) every `interval`
 * seconds; a surviving process that finds a token silent for `timeout`
 * seconds removes that process's process-local members (`*.<token>!*`) from
 * every group, then the token. Only tokens that beat are ever looked at, so
 * members added by Django processes (which never beat) or by processes with
 * liveness off are never removed. A process that was only paused and finds
 * its token gone writes its memberships back at its next beat.
 *
 * Bound: a dead process's members are gone within `timeout + interval`
 * seconds (default 40 s) of its last beat, once a survivor has itself been
 * connected for `timeout` (so a survivor back from an outage does not take
 * processes that simply could not beat during it for dead).
 *
 * The same on standalone servers and on a Redis Cluster: the tracker only
 * needs commands routed by their key (the registry and claim keys may live on
 * different shards) and a scan of every server's keys (every master of a
 * cluster), see LivenessHost.
 */
import { InvalidOption, LayerUnavailable } from '../../errors';
import { positiveOption } from '../../option-checks';
import type { Arg, RedisNode } from './connection';
import { globEscape, scanNode } from './flush-prefix';

/** The `liveness` option of the Redis layers. */
import type { LivenessOptions } from './liveness-options';
export type { LivenessOptions };

/** Runs a command whose key is `args[1]` on the server holding that key. */
export interface KeyCommands {
  command<T = unknown>(args: readonly Arg[]): Promise<T>;
}

/** What the tracker needs from its layer. */
export interface LivenessHost {
  prefix: string;
  token: string;
  /** Commands on the registry hash and on claim keys. */
  registry: KeyCommands;
  /**
   * Calls `visit` with each batch of keys matching `match` on every server
   * (groups live on all of them; on a cluster every master, replicas holding
   * copies) and a way to run commands on those keys. Rejects if a server
   * cannot be scanned: a removal that left one out must not count as done.
   */
  scanKeys(match: string, visit: (keys: string[], commands: KeyCommands) => Promise<void>): Promise<void>;
  /** Write this process's memberships back (its token was removed while it lived). */
  restore(): Promise<void>;
  /** A dead process's members were removed. */
  reaped(token: string, members: number): void;
}

const SCAN_COUNT = '500';


/** Beats for one layer and removes the memberships of processes that stopped beating. */
export class ProcessLiveness {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly #host: LivenessHost;
  readonly #key: string;
  readonly #timer: NodeJS.Timeout;
  #connectedSince: number | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(options: LivenessOptions | undefined, host: LivenessHost) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new InvalidOption('liveness must be an object {interval, timeout} or false');
    }
    this.intervalMs = positiveOption(options?.interval, 'liveness.interval', 'seconds', 10) * 1000;
    this.timeoutMs = positiveOption(options?.timeout, 'liveness.timeout', 'seconds', 30) * 1000;
    if (this.timeoutMs <= this.intervalMs) throw new InvalidOption('liveness.timeout must be longer than liveness.interval');
    this.#host = host;
    this.#key = `${host.prefix}:processes`;
    this.#timer = setInterval(() => void this.tick(), this.intervalMs);
    this.#timer.unref();
  }

  /** The registry server is (back) up: beat now and start counting connected time. */
  up(): void {
    this.#connectedSince = Date.now();
    void this.tick();
  }

  down(): void {
    this.#connectedSince = null;
  }

  /** One beat plus one check; never rejects. */
  tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#running ??= this.#tick()
      .catch(() => undefined)
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async #tick(): Promise<void> {
    const registry = this.#host.registry;
    const added = await registry.command<number>(['HSET', this.#key, this.#host.token, String(Date.now())]);
    if (added === 1) await this.#host.restore();
    const since = this.#connectedSince;
    if (since === null || Date.now() - since < this.timeoutMs) return;
    const beats = await registry.command<string[]>(['HGETALL', this.#key]);
    const cutoff = Date.now() - this.timeoutMs;
    for (let i = 0; i + 1 < beats.length; i += 2) {
      const token = beats[i]!;
      if (token === this.#host.token || Number(beats[i + 1]) > cutoff) continue;
      // One survivor removes a given process; the claim outlives a slow removal.
      const claimed = await registry.command<string | null>(['SET', `${this.#host.prefix}:reaping:${token}`, '1', 'NX', 'PX', String(this.timeoutMs * 2)]);
      if (claimed !== 'OK') continue;
      const removed = await this.#removeMembers(token);
      await registry.command(['HDEL', this.#key, token]);
      this.#host.reaped(token, removed);
    }
  }

  /** ZREM `*.<token>!*` from every group on every server; returns how many went. */
  async #removeMembers(token: string): Promise<number> {
    const pattern = `*.${globEscape(token)}!*`;
    const groups = `${globEscape(this.#host.prefix)}:group:*`;
    let removed = 0;
    await this.#host.scanKeys(groups, async (keys, commands) => {
      for (const key of keys) removed += await this.#removeFrom(commands, key, pattern);
    });
    return removed;
  }

  async #removeFrom(node: KeyCommands, key: string, pattern: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, flat] = await node.command<[string, string[]]>(['ZSCAN', key, cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT]);
      cursor = next;
      const members: string[] = [];
      for (let i = 0; i < flat.length; i += 2) members.push(flat[i]!);
      if (members.length > 0) removed += await node.command<number>(['ZREM', key, ...members]);
    } while (cursor !== '0');
    return removed;
  }
}

/** LivenessHost.scanKeys over standalone servers: a key is worked on where it was found. */
export function scanNodes(nodes: readonly RedisNode[]): LivenessHost['scanKeys'] {
  return async (match, visit) => {
    for (const node of nodes) {
      if (!node.ready) throw new LayerUnavailable(`Redis at ${node.label} is unreachable`);
      await scanNode(node, match, (keys) => visit(keys, node));
    }
  };
}
