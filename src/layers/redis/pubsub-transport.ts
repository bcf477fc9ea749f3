/**
 * Where the pub/sub layer publishes and subscribes. Two shapes:
 * - NodesTransport: one or more standalone servers, each topic on the
 *   server `shardIndex(route)` picks, plain PUBLISH/SUBSCRIBE.
 * - ClusterTransport (pubsub-cluster.ts): a Redis Cluster, sharded
 *   SPUBLISH/SSUBSCRIBE.
 *
 * Both remember the topics they should be subscribed to and subscribe them
 * again on a fresh connection after an outage, instead of relying on the
 * client library's resubscription.
 */
import { EventEmitter } from 'node:events';
import type { Arg, RawClient, RedisNode, UpInfo } from './connection';
import { deleteByPrefix } from './flush-prefix';
import type { LuaScript } from './lua';
import { shardIndex } from './sharding';

/** Called with each payload published on a subscribed topic. */
export type PayloadListener = (payload: Buffer) => void;

/** Events of a transport: `index` names the server (always 0 for a cluster). */
export interface TransportEvents {
  down: [index: number, error: Error];
  /** The server is back and every remembered topic is subscribed again. */
  up: [index: number, info: UpInfo];
}

/** Publish/subscribe plus keyed commands, routed by a name (group, queue name). */
export interface PubSubTransport extends EventEmitter<TransportEvents> {
  /** How many servers (shards) there are; 1 for a cluster. */
  readonly size: number;
  indexFor(route: string): number;
  /**
   * True while the server `route` lives on is connected: a command issued now
   * is written (it may still fail in flight), not refused on the spot.
   */
  isUp(route: string): boolean;
  publish(route: string, topic: string, payload: Buffer): Promise<number>;
  /** Resolves once the subscription is in force, for every caller (also one that finds it in flight). */
  subscribe(route: string, topic: string): Promise<void>;
  unsubscribe(route: string, topic: string): Promise<void>;
  command<T = unknown>(route: string, args: readonly Arg[], buffers?: boolean): Promise<T>;
  eval<T = unknown>(route: string, lua: LuaScript, keys: readonly Arg[], args: readonly Arg[], buffers?: boolean): Promise<T>;
  /** The run_id of the server `route` lives on, '' when unknown (a cluster): history epochs check it. */
  runIdFor(route: string): string;
  /** Delete every key under `prefix` on every server (flush). */
  deleteByPrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** Standalone servers sharded by channels_redis's CRC-32 rule. */
export class NodesTransport extends EventEmitter<TransportEvents> implements PubSubTransport {
  readonly #nodes: readonly RedisNode[];
  readonly #listener: PayloadListener;
  readonly #topics: Array<Set<string>>;
  /** Subscriptions on their way, by topic: a later subscriber of the topic waits for the same one. */
  readonly #subscribing = new Map<string, Promise<void>>();

  constructor(nodes: readonly RedisNode[], listener: PayloadListener) {
    super();
    this.#nodes = nodes;
    this.#listener = listener;
    this.#topics = nodes.map(() => new Set<string>());
    nodes.forEach((node, index) => {
      node.on('down', (error) => this.emit('down', index, error));
      node.on('up', (info) => void this.#restore(index, info));
    });
  }

  get size(): number {
    return this.#nodes.length;
  }

  indexFor(route: string): number {
    return shardIndex(route, this.#nodes.length);
  }

  isUp(route: string): boolean {
    return this.#nodes[this.indexFor(route)]!.ready;
  }

  publish(route: string, topic: string, payload: Buffer): Promise<number> {
    return this.#nodes[this.indexFor(route)]!.command<number>(['PUBLISH', topic, payload]);
  }

  async subscribe(route: string, topic: string): Promise<void> {
    const index = this.indexFor(route);
    const topics = this.#topics[index]!;
    if (topics.has(topic)) return this.#subscribing.get(topic);
    topics.add(topic);
    const subscribed = this.#subscriber(index).then((client) => client.subscribe(topic, this.#listener, true));
    this.#subscribing.set(topic, subscribed);
    try {
      await subscribed;
    } finally {
      if (this.#subscribing.get(topic) === subscribed) this.#subscribing.delete(topic);
    }
  }

  async unsubscribe(route: string, topic: string): Promise<void> {
    const index = this.indexFor(route);
    if (!this.#topics[index]!.delete(topic)) return;
    const node = this.#nodes[index]!;
    if (!node.ready) return;
    const client = await this.#subscriber(index);
    await client.unsubscribe(topic, this.#listener, true);
  }

  command<T = unknown>(route: string, args: readonly Arg[], buffers = false): Promise<T> {
    return this.#nodes[this.indexFor(route)]!.command<T>(args, buffers);
  }

  eval<T = unknown>(route: string, lua: LuaScript, keys: readonly Arg[], args: readonly Arg[], buffers = false): Promise<T> {
    return this.#nodes[this.indexFor(route)]!.eval<T>(lua, keys, args, buffers);
  }

  runIdFor(route: string): string {
    return this.#nodes[this.indexFor(route)]!.runId;
  }

  async deleteByPrefix(prefix: string): Promise<void> {
    await Promise.all(this.#nodes.map((node) => deleteByPrefix(node, prefix)));
  }

  async close(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => node.close()));
  }

  async #subscriber(index: number): Promise<RawClient> {
    const node = this.#nodes[index]!;
    try {
      return await node.dedicated('subscriber');
    } catch (error) {
      throw node.wrap(error);
    }
  }

  /** A fresh connection has no subscriptions: subscribe every remembered topic, then report `up`. */
  async #restore(index: number, info: UpInfo): Promise<void> {
    const topics = [...this.#topics[index]!];
    try {
      if (topics.length > 0) {
        const client = await this.#subscriber(index);
        await client.subscribe(topics, this.#listener, true);
      }
    } catch {
      // Lost again while restoring: the next 'up' restores again.
      return;
    }
    this.emit('up', index, info);
  }
}
