/**
 * The pub/sub layer's transport on a Redis Cluster: sharded pub/sub
 * (SPUBLISH/SSUBSCRIBE, Redis 7+), so a topic lives on the shard owning its
 * slot and publishing scales with the number of shards. Keyed commands are
 * routed by their key's slot.
 *
 * node-redis's cluster client owns per-shard connections and follows slot
 * moves; this class adds what the layer needs on top: fail-fast calls while
 * the cluster is unreachable and `down`/`up` reports, with every remembered
 * topic subscribed again after an outage, and a first connect that fails
 * retried with backoff (node-redis gives up after one).
 */
import { EventEmitter } from 'node:events';
import { LayerClosed, LayerUnavailable } from '../../errors';
import { bufferMapping, isServerError, retryDelay, type Arg, type ConnectionTiming } from './connection';
import type { RedisClientExtraOptions } from './redis-options';
import { nodeRedis, type NodeRedisModule } from './redis-peer';
import { globEscape } from './flush-prefix';
import type { LuaScript } from './lua';
import type { KeyCommands } from './process-liveness';
import type { PayloadListener, PubSubTransport, TransportEvents } from './pubsub-transport';

type Cluster = ReturnType<NodeRedisModule['createCluster']>;

/** Slots of a Redis Cluster. */
const CLUSTER_SLOTS = 16384;

/** Sharded pub/sub over a Redis Cluster (seed nodes in `hosts`). */
export class ClusterTransport extends EventEmitter<TransportEvents> implements PubSubTransport {
  readonly size = 1;
  readonly #hosts: readonly string[];
  readonly #clientOptions: RedisClientExtraOptions;
  readonly #timing: ConnectionTiming;
  readonly #listener: PayloadListener;
  readonly #topics = new Set<string>();
  /** Subscriptions on their way, by topic: a later subscriber of the topic waits for the same one. */
  readonly #subscribing = new Map<string, Promise<void>>();
  /**
   * The cluster client. Until a first connect succeeds, each attempt has a fresh one: a failed
   * attempt may leave node clients behind (CLUSTER SLOTS answered, then a node did not), and one
   * that connected to a cluster still forming must be dropped; a fresh client carries none of it.
   */
  #cluster: Cluster;
  /** The first connect attempt (never rejects): calls made before it ends wait for it, later ones fail fast while down. */
  readonly #connecting: Promise<void>;
  /** The connect attempt in flight or last made (never rejects): close() lets it end before destroying its client. */
  #attempt: Promise<void>;
  #retryTimer: NodeJS.Timeout | undefined;
  #retries = 0;
  #up = false;
  // Set by the first connect that succeeds: from then on, only a probe brings the transport back up.
  #connected = false;
  #probing = false;
  #closed = false;
  #chain: Promise<unknown> = Promise.resolve();
  #lastError: Error | undefined;

  constructor(hosts: readonly string[], timing: ConnectionTiming, clientOptions: RedisClientExtraOptions, listener: PayloadListener) {
    super();
    this.#hosts = hosts;
    this.#clientOptions = clientOptions;
    this.#timing = timing;
    this.#listener = listener;
    this.#cluster = this.#createCluster();
    this.#attempt = this.#connecting = this.#connect(this.#cluster);
  }

  #createCluster(): Cluster {
    const cluster = nodeRedis().createCluster({
      rootNodes: this.#hosts.map((url) => ({ url })),
      defaults: {
        ...(this.#clientOptions as object),
        disableOfflineQueue: true,
        socket: {
          ...((this.#clientOptions.socket as object | undefined) ?? {}),
          connectTimeout: this.#timing.connectTimeout,
          // Once closed, a node client still trying to connect gives up: the attempt it holds up ends.
          reconnectStrategy: (retries: number) => (this.#closed ? false : retryDelay(retries, this.#timing)),
        },
      },
    }) as unknown as Cluster;
    // Without a listener an 'error' event would crash the process; a client given up on is not heard.
    cluster.on('error', (error: Error) => {
      if (cluster === this.#cluster) this.#lost(error);
    });
    cluster.on('node-error', (error: Error) => {
      if (cluster === this.#cluster) this.#lost(error);
    });
    // A node that is ready again may end an outage. During the first connect every node reports
    // ready too, but then the 'up' comes from #connect, and a probe would resubscribe (unsubscribe,
    // subscribe) topics subscribed meanwhile: what is published in the gap is lost.
    cluster.on('node-ready', () => {
      if (cluster === this.#cluster && this.#connected) void this.#probe();
    });
    return cluster;
  }

  /**
   * One attempt at the first connect. Until one succeeds the transport is down (calls fail fast)
   * and attempts go on with backoff, as RedisNode's do; the first failure reports `down`, the
   * success `up` with `first: true`.
   */
  #connect(cluster: Cluster): Promise<void> {
    return this.#open(cluster).then(
      () => {
        if (this.#closed) return;
        this.#retries = 0;
        this.emit('up', 0, { first: true, restarted: false });
      },
      (error: unknown) => this.#failed(cluster, error),
    );
  }

  async #open(cluster: Cluster): Promise<void> {
    await cluster.connect();
    // node-redis takes the slot table as the seed node has it: one still forming (empty, or part
    // of the slots) would leave commands for the missing slots with no node, and nothing asks again.
    let served = 0;
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (cluster.slots[slot] !== undefined) served++;
    if (served < CLUSTER_SLOTS) throw new Error(`the cluster serves ${served} of its ${CLUSTER_SLOTS} slots (still forming, or a shard has no master)`);
    // Topics whose subscribe() was refused while down are subscribed before `up`: the layer
    // counts on them then. The live set is walked, so one refused while this runs is taken too,
    // and `up` is set in the queue of (un)subscriptions: an unsubscribe made meanwhile either
    // finds its topic gone from the set here or runs once up.
    await this.#serially(async () => {
      for (const topic of this.#topics) await cluster.sSubscribe(topic, this.#listener, true);
      if (this.#closed) return;
      this.#connected = true;
      this.#up = true;
    });
  }

  #failed(cluster: Cluster, error: unknown): void {
    this.#lastError = error instanceof Error ? error : new Error(String(error));
    if (this.#closed) return; // close() destroys the client once this attempt has ended
    destroyQuietly(cluster);
    if (this.#retries === 0) this.emit('down', 0, this.#lastError);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closed) return;
      this.#cluster = this.#createCluster();
      this.#attempt = this.#connect(this.#cluster);
    }, retryDelay(this.#retries++, this.#timing));
    this.#retryTimer.unref();
  }

  indexFor(): number {
    return 0;
  }

  isUp(): boolean {
    return this.#up && !this.#closed;
  }

  async publish(_route: string, topic: string, payload: Buffer): Promise<number> {
    await this.#ready();
    return this.#call(() => this.#cluster.sPublish(topic, payload));
  }

  async subscribe(_route: string, topic: string): Promise<void> {
    if (this.#topics.has(topic)) return this.#subscribing.get(topic);
    this.#topics.add(topic);
    const subscribed = this.#ready().then(() => this.#serially(() => this.#call(() => this.#cluster.sSubscribe(topic, this.#listener, true))));
    this.#subscribing.set(topic, subscribed);
    try {
      await subscribed;
    } finally {
      if (this.#subscribing.get(topic) === subscribed) this.#subscribing.delete(topic);
    }
  }

  async unsubscribe(_route: string, topic: string): Promise<void> {
    if (!this.#topics.delete(topic)) return;
    // Whether up is read in turn: a first connect subscribing remembered topics may be ahead in the queue.
    await this.#serially(async () => {
      if (!this.#up) return;
      // node-redis closes a shard's subscriber when its last topic goes; a failure here means it is gone already.
      await this.#cluster.sUnsubscribe(topic, this.#listener, true).catch(() => undefined);
    });
  }

  /** (Un)subscriptions one at a time: the cluster client's per-shard subscriber does not tolerate overlapping ones. */
  #serially<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(run, run);
    this.#chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  async command<T = unknown>(_route: string, args: readonly Arg[], buffers = false): Promise<T> {
    await this.#ready();
    const options = { timeout: this.#timing.commandTimeout, ...(buffers ? { typeMapping: bufferMapping() } : {}) };
    return this.#call(() => this.#cluster.sendCommand(args[1], false, [...args] as never, options) as Promise<T>);
  }

  async eval<T = unknown>(_route: string, lua: LuaScript, keys: readonly Arg[], args: readonly Arg[], buffers = false): Promise<T> {
    const rest = [String(keys.length), ...keys, ...args];
    const options = { timeout: this.#timing.commandTimeout, ...(buffers ? { typeMapping: bufferMapping() } : {}) };
    await this.#ready();
    try {
      return await this.#call(() => this.#cluster.sendCommand(keys[0], false, ['EVALSHA', lua.sha, ...rest] as never, options) as Promise<T>);
    } catch (error) {
      if (!(isServerError(error) && error.message.startsWith('NOSCRIPT'))) throw error;
      return this.#call(() => this.#cluster.sendCommand(keys[0], false, ['EVAL', lua.source, ...rest] as never, options) as Promise<T>);
    }
  }

  /** Cluster nodes come and go by failover; epochs rely on their keys instead (see lua.ts). */
  runIdFor(): string {
    return '';
  }

  /** SCAN each master; keys are deleted one by one since they live in different slots. */
  async deleteByPrefix(prefix: string): Promise<void> {
    await this.scanKeys(`${globEscape(prefix)}*`, async (keys, commands) => {
      await Promise.all(keys.map((key) => commands.command(['UNLINK', key])));
    });
  }

  /**
   * Calls `visit` with each batch of keys matching `match`, master by master (replicas hold
   * copies); commands on a key go to its slot's owner. Rejects with the first failure, so a
   * caller never takes a scan that missed a master for complete.
   */
  async scanKeys(match: string, visit: (keys: string[], commands: KeyCommands) => Promise<void>): Promise<void> {
    await this.#ready();
    const commands: KeyCommands = { command: <T>(args: readonly Arg[]): Promise<T> => this.command<T>('', args) };
    const options = { timeout: this.#timing.commandTimeout };
    // A copy: the list is replaced when the slot table is refreshed.
    for (const master of [...this.#cluster.masters]) {
      const client = await this.#call(() => this.#cluster.nodeClient(master));
      let cursor = '0';
      do {
        const [next, keys] = await this.#call(() => client.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', match, 'COUNT', '500'], options));
        cursor = next;
        if (keys.length > 0) await visit(keys, commands);
      } while (cursor !== '0');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    // A connect in flight creates node clients as it goes: destroy its client once it has ended.
    await this.#attempt;
    destroyQuietly(this.#cluster);
  }

  async #ready(): Promise<void> {
    await this.#connecting;
    if (this.#closed) throw new LayerClosed('Redis cluster connection');
    if (!this.#up) {
      throw new LayerUnavailable(
        `Redis cluster is unreachable${this.#lastError ? ` (${this.#lastError.message})` : ''}; it reconnects in the background`,
        { cause: this.#lastError },
      );
    }
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isServerError(error) || this.#closed) throw error;
      const cause = error instanceof Error ? error : new Error(String(error));
      throw new LayerUnavailable(`Redis cluster failed: ${cause.message}`, { cause });
    }
  }

  #lost(error: Error): void {
    if (this.#closed) return;
    this.#lastError = error;
    if (!this.#up) return;
    this.#up = false;
    this.emit('down', 0, error);
    void this.#probe();
  }

  /**
   * After a loss: once a PING goes through again, re-subscribe every topic and report `up`. One
   * probe at a time; its (un)subscriptions queue with subscribe/unsubscribe instead of
   * interleaving with them.
   */
  async #probe(): Promise<void> {
    if (this.#up || this.#closed || this.#probing) return;
    this.#probing = true;
    try {
      await this.#cluster.sendCommand(undefined, true, ['PING'] as never, { timeout: this.#timing.commandTimeout });
      await this.#serially(async () => {
        // The live set: a topic whose subscribe() is refused while this runs is taken too.
        for (const topic of this.#topics) {
          await this.#cluster.sUnsubscribe(topic, this.#listener, true).catch(() => undefined);
          await this.#cluster.sSubscribe(topic, this.#listener, true);
        }
      });
    } catch (error) {
      this.#lastError = error instanceof Error ? error : new Error(String(error));
      const timer = setTimeout(() => void this.#probe(), this.#timing.retryMaxDelay);
      timer.unref();
      return;
    } finally {
      this.#probing = false;
    }
    if (this.#up || this.#closed) return;
    this.#up = true;
    this.emit('up', 0, { first: false, restarted: false });
  }
}

function destroyQuietly(cluster: Cluster): void {
  try {
    cluster.destroy();
  } catch {
    // Already closed.
  }
}
