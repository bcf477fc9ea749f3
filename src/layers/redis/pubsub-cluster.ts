/**
 * The pub/sub layer's transport on a Redis Cluster: sharded pub/sub
 * (SPUBLISH/SSUBSCRIBE, Redis 7+), so a topic lives on the shard owning its
 * slot and publishing scales with the number of shards. Keyed commands are
 * routed by their key's slot.
 *
 * node-redis's cluster client owns per-shard connections and follows slot
 * moves; this class adds what the layer needs on top: fail-fast calls while
 * the cluster is unreachable and `down`/`up` reports, with every remembered
 * topic subscribed again after an outage.
 */
import { EventEmitter } from 'node:events';
import { LayerClosed, LayerUnavailable } from '../../errors';
import { bufferMapping, isServerError, retryDelay, type Arg, type ConnectionTiming } from './connection';
import type { RedisClientExtraOptions } from './redis-options';
import { nodeRedis, type NodeRedisModule } from './redis-peer';
import { globEscape } from './flush-prefix';
import type { LuaScript } from './lua';
import type { PayloadListener, PubSubTransport, TransportEvents } from './pubsub-transport';

type Cluster = ReturnType<NodeRedisModule['createCluster']>;

/** Sharded pub/sub over a Redis Cluster (seed nodes in `hosts`). */
export class ClusterTransport extends EventEmitter<TransportEvents> implements PubSubTransport {
  readonly size = 1;
  readonly #cluster: Cluster;
  readonly #timing: ConnectionTiming;
  readonly #listener: PayloadListener;
  readonly #topics = new Set<string>();
  /** Subscriptions on their way, by topic: a later subscriber of the topic waits for the same one. */
  readonly #subscribing = new Map<string, Promise<void>>();
  readonly #connecting: Promise<void>;
  #up = false;
  // Set by the first connect that succeeds: from then on, only a probe brings the transport back up.
  #connected = false;
  #probing = false;
  #closed = false;
  #chain: Promise<unknown> = Promise.resolve();
  #lastError: Error | undefined;

  constructor(hosts: readonly string[], timing: ConnectionTiming, clientOptions: RedisClientExtraOptions, listener: PayloadListener) {
    super();
    this.#timing = timing;
    this.#listener = listener;
    this.#cluster = nodeRedis().createCluster({
      rootNodes: hosts.map((url) => ({ url })),
      defaults: {
        ...(clientOptions as object),
        disableOfflineQueue: true,
        socket: {
          ...((clientOptions.socket as object | undefined) ?? {}),
          connectTimeout: timing.connectTimeout,
          reconnectStrategy: (retries: number) => retryDelay(retries, timing),
        },
      },
    }) as unknown as Cluster;
    // Without a listener an 'error' event would crash the process.
    this.#cluster.on('error', (error: Error) => this.#lost(error));
    this.#cluster.on('node-error', (error: Error) => this.#lost(error));
    // A node that is ready again may end an outage. During the first connect every node reports
    // ready too, but then the 'up' comes from connect() below, and a probe would resubscribe
    // (unsubscribe, subscribe) topics subscribed meanwhile: what is published in the gap is lost.
    this.#cluster.on('node-ready', () => {
      if (this.#connected) void this.#probe();
    });
    this.#connecting = this.#cluster.connect().then(
      () => {
        this.#connected = true;
        this.#up = true;
        this.emit('up', 0, { first: true, restarted: false });
      },
      (error: unknown) => {
        this.#lastError = error instanceof Error ? error : new Error(String(error));
        this.emit('down', 0, this.#lastError);
      },
    );
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
    if (!this.#topics.delete(topic) || !this.#up) return;
    // node-redis closes a shard's subscriber when its last topic goes; a failure here means it is gone already.
    await this.#serially(() => this.#cluster.sUnsubscribe(topic, this.#listener, true).catch(() => undefined));
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
    await this.#ready();
    await this.#call(async () => {
      for (const master of this.#cluster.masters) {
        const client = await this.#cluster.nodeClient(master);
        for await (const keys of client.scanIterator({ MATCH: `${globEscape(prefix)}*`, COUNT: 500 })) {
          await Promise.all(keys.map((key) => client.unlink(key)));
        }
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connecting;
    try {
      this.#cluster.destroy();
    } catch {
      // Already closed.
    }
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
        for (const topic of [...this.#topics]) {
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
