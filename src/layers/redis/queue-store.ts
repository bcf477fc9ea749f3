/**
 * Channel queues in Redis, in channels_redis's format: a sorted set at
 * `<prefix><non-local name>` whose members are random prefix + msgpack and
 * whose scores are send times. Pushes go through one Lua script (expiry,
 * capacity and push at once); pops go through one blocking loop per server
 * into the layer's local mailbox.
 *
 * Where a queue lives with several servers: `shardIndex(non-local name)`.
 * channels_redis puts a direct send to a process-local channel on the shard
 * of the *full* name but receives on the shard of the non-local name (its
 * bug #1492); here both use the non-local name, and the pop loop watches its
 * keys on every server, so whatever Python put anywhere still arrives.
 */
import type { RedisNode } from './connection';
import { decodeMember } from './codec';
import type { LocalMailbox } from './local-mailbox';
import { PUSH_CAPPED } from './lua';
import { QueuePoller } from './queue-poller';
import { toScore, ttlSeconds } from './redis-options';
import { parseScore } from './score-bytes';
import { shardIndex } from './sharding';

/** One microsecond: the smallest step that survives a float seconds score around the year 2100. */
const SCORE_STEP = 1e-6;

/** Settings of a queue store. */
export interface QueueStoreOptions {
  nodes: readonly RedisNode[];
  prefix: string;
  wakeKey: string;
  blockSeconds: number;
  mailbox: LocalMailbox;
  now(): number;
  expiryMs: number;
  /** Also poll process-local queues (core layer); the pub/sub layer serves those by subscription. */
  pollLocal: boolean;
  onDropped(channel: string, reason: string): void;
  /** A batch from queue `name` (non-local name) on server `nodeIndex` was delivered; `score` is its last (highest) score. */
  onDrained?(name: string, nodeIndex: number, score: number): void;
}

/** One destination of a fan-out: a queue key with its member and capacity. */
export interface QueuePush {
  /** Non-local name (the key without prefix). */
  name: string;
  member: Buffer;
  capacity: number;
}

/** Channel queues over one or more Redis servers. */
export class QueueStore {
  readonly #o: QueueStoreOptions;
  readonly #pollers: QueuePoller[];
  #lastScore = 0;

  constructor(options: QueueStoreOptions) {
    this.#o = options;
    this.#pollers = options.nodes.map((node, index) => {
      const host = {
        watchKeys: () => this.#watchKeys(),
        onPopped: (key: string, flat: readonly Buffer[], start: number) => this.deliverBatch(key, flat, start, index),
        onServerError: (error: Error) => this.#o.onDropped('*', `pop loop: ${error.message}`),
      };
      return new QueuePoller(node, options.wakeKey, host, options.blockSeconds);
    });
  }

  /** The server a queue (by non-local name) or a group lives on. */
  nodeFor(name: string): RedisNode {
    const nodes = this.#o.nodes;
    return nodes[shardIndex(name, nodes.length)]!;
  }

  /** Index of that server. */
  indexFor(name: string): number {
    return shardIndex(name, this.#o.nodes.length);
  }

  /** Push one member; false when the queue is full. */
  async push(name: string, member: Buffer, capacity: number): Promise<boolean> {
    const [full] = await this.pushMany(this.indexFor(name), [{ name, member, capacity }]);
    return full === 0;
  }

  /**
   * Push to several distinct queues on one server atomically; returns one
   * flag per push (1 = that queue was full).
   */
  async pushMany(nodeIndex: number, pushes: readonly QueuePush[]): Promise<number[]> {
    const keys: string[] = [];
    const args: Array<string | Buffer> = [];
    for (const push of pushes) {
      keys.push(this.#o.prefix + push.name);
      args.push(push.member);
    }
    for (const push of pushes) args.push(String(push.capacity));
    args.push(...this.scoreArgs());
    return this.#o.nodes[nodeIndex]!.eval<number[]>(PUSH_CAPPED, keys, args);
  }

  /**
   * Send time in seconds, strictly increasing within this process: a sorted
   * set orders equal scores by member bytes (random here), so two sends in
   * the same millisecond would otherwise come out in random order.
   */
  #nextScore(now: number): number {
    let score = now / 1000;
    if (score <= this.#lastScore) score = this.#lastScore + SCORE_STEP;
    this.#lastScore = score;
    return score;
  }

  /** The score of the latest push (what the last `scoreArgs()` handed out). */
  get lastScore(): number {
    return this.#lastScore;
  }

  /** The push arguments every script shares: score (send time), cutoff (expired at or below) and ttl. */
  scoreArgs(): [score: string, cutoff: string, ttl: string] {
    const now = this.#o.now();
    return [String(this.#nextScore(now)), toScore(now - this.#o.expiryMs), ttlSeconds(this.#o.expiryMs / 1000)];
  }

  /** A receiver started waiting on `key` (non-local name): make every loop watch it. */
  watch(key: string): void {
    if (!this.#o.pollLocal && key.endsWith('!')) return;
    const full = this.#o.prefix + key;
    for (const poller of this.#pollers) poller.kick(full);
  }

  /** A server is back: restart its loop if anything is watched. */
  resume(nodeIndex: number): void {
    this.#pollers[nodeIndex]!.kick();
  }

  stop(): void {
    for (const poller of this.#pollers) poller.stop();
  }

  #watchKeys(): string[] {
    const keys: string[] = [];
    for (const key of this.#o.mailbox.watchedKeys()) {
      if (this.#o.pollLocal || !key.endsWith('!')) keys.push(this.#o.prefix + key);
    }
    return keys;
  }

  /**
   * Decode the members popped from `key` (full key) in one reply (`flat`:
   * member, score, ... from `start`) and hand them to the mailbox. Nothing
   * is allocated here per message beyond its decode (the queue name once
   * per batch, scores read from the bytes).
   */
  deliverBatch(key: string, flat: readonly Buffer[], start: number, nodeIndex: number): void {
    const name = key.slice(this.#o.prefix.length);
    const expiryMs = this.#o.expiryMs;
    let score = 0;
    for (let i = start; i + 1 < flat.length; i += 2) {
      score = parseScore(flat[i + 1]!);
      this.#deliverOne(name, flat[i]!, score * 1000 + expiryMs);
    }
    if (flat.length > start) this.#o.onDrained?.(name, nodeIndex, score);
  }

  /** Decode one member popped from `key` (full key) and hand it to the mailbox. */
  deliverPopped(key: string, member: Buffer, score: number): void {
    this.#deliverOne(key.slice(this.#o.prefix.length), member, score * 1000 + this.#o.expiryMs);
  }

  #deliverOne(name: string, member: Buffer, expiresAt: number): void {
    let decoded;
    try {
      decoded = decodeMember(member);
    } catch (error) {
      this.#o.onDropped(name, `undecodable message: ${(error as Error).message}`);
      return;
    }
    const targets = decoded.channels ?? name;
    const mailbox = this.#o.mailbox;
    if (typeof targets === 'string') mailbox.deliver(targets, decoded.sealed, expiresAt, 'drop-oldest');
    else for (const target of targets) mailbox.deliver(target, decoded.sealed, expiresAt, 'drop-oldest');
  }
}
