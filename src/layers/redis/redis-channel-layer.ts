/**
 * The Redis channel layer, wire-compatible with channels_redis 4.x's
 * RedisChannelLayer: a Django Channels app and a Switchyard app on the same
 * Redis and prefix can send to each other's channels and groups.
 *
 * Layout (prefix `asgi` by default):
 * - `asgi:group:<group>`: sorted set of channel names scored by join time (s).
 * - `asgi<non-local name>`: a channel queue (see queue-store.ts).
 * - `asgi:wake:<token>`: this process's wake key (transient).
 *
 * A group send reads the live members on the group's server, then pushes one
 * copy per destination queue (per process for process-local members, the
 * copy naming them all in `__asgi_channel__`) with one Lua call per server.
 */
import { ChannelFull } from '../../errors';
import { BaseChannelLayer, type SealedEntry } from '../base-channel-layer';
import type { AnyEventMap, EventMap, GroupSendResult, LayerMessage, SendManyResult } from '../channel-layer';
import type { ChannelListener } from '../channel-listener';
import type { SealedMessage } from '../message';
import { isProcessLocal, nonLocalName } from '../names';
import { encodeMessage, queueMember, queueMemberFor } from './codec';
import { RedisNode, type UpInfo } from './connection';
import { deleteByPrefix } from './flush-prefix';
import { LocalMailbox } from './local-mailbox';
import { GROUP_ADD, GROUP_LIVE_MEMBERS, PUSH_CAPPED, WAKE } from './lua';
import { MembershipLedger } from './membership-ledger';
import { QueueStore, type QueuePush } from './queue-store';
import { resolveRedisOptions, toScore, ttlSeconds, type RedisLayerOptions } from './redis-options';

/** Options of RedisChannelLayer: the common layer options plus the Redis ones. */
export type RedisChannelLayerOptions = RedisLayerOptions;

/**
 * Channel layer on Redis, compatible with Django Channels' channels_redis.
 *
 * @example
 * const layer = new RedisChannelLayer({ url: 'redis://127.0.0.1:6379/0', prefix: 'asgi' });
 * await layer.groupAdd('room.lobby', channelName);
 * await layer.groupSend('room.lobby', { type: 'chat.message', text: 'hi' });
 * layer.on('disconnected', (error) => log.warn(error.message));
 */
export class RedisChannelLayer<M extends EventMap = AnyEventMap> extends BaseChannelLayer<M> {
  /** Key prefix. */
  readonly prefix: string;
  /** The servers, in sharding order. */
  readonly hosts: readonly string[];

  readonly #nodes: RedisNode[];
  readonly #mailbox: LocalMailbox;
  readonly #store: QueueStore;
  readonly #ledger = new MembershipLedger();
  readonly #announcedDown = new Set<number>();
  readonly #channelDropped = (channel: string, reason: string): void => this.announce('dropped', { channel, count: 1, reason });

  constructor(options: RedisChannelLayerOptions = {}) {
    super(options);
    const resolved = resolveRedisOptions(options);
    this.prefix = resolved.prefix;
    this.hosts = resolved.hosts;
    this.#nodes = resolved.hosts.map((url) => new RedisNode(url, resolved.timing, resolved.clientOptions));
    this.#mailbox = new LocalMailbox({
      now: this.now,
      capacityOf: (channel) => this.capacityOf(channel),
      onDropped: this.#channelDropped,
      onWatch: (key) => this.#store.watch(key),
    });
    this.#store = new QueueStore({
      nodes: this.#nodes,
      prefix: this.prefix,
      wakeKey: `${this.prefix}:wake:${this.processToken}`,
      blockSeconds: resolved.blockTimeout,
      mailbox: this.#mailbox,
      now: this.now,
      expiryMs: this.expiryMs,
      pollLocal: true,
      onDropped: this.#channelDropped,
    });
    this.#nodes.forEach((node, index) => {
      node.on('down', (error) => this.#onDown(index, error));
      node.on('up', (info) => void this.#onUp(index, info).catch(() => undefined));
      void node.start();
    });
  }

  /** True while every server's command connection is up. */
  get connected(): boolean {
    return this.#nodes.every((node) => node.ready);
  }

  protected async doSend(channel: string, sealed: SealedMessage): Promise<void> {
    const encoded = encodeMessage(sealed.message);
    const local = isProcessLocal(channel);
    const name = local ? nonLocalName(channel) : channel;
    const capacity = this.capacityOf(channel);
    const member = local ? queueMemberFor(encoded, channel) : queueMember(encoded);
    if (!(await this.#store.push(name, member, capacity))) throw new ChannelFull(channel, capacity);
  }

  protected override async doSendMany(entries: readonly SealedEntry[]): Promise<SendManyResult> {
    // Started in one tick, so node-redis pipelines them, in order, per server.
    const results = await Promise.allSettled(entries.map(([channel, sealed]) => this.doSend(channel, sealed)));
    const full: string[] = [];
    let sent = 0;
    for (const result of results) {
      if (result.status === 'fulfilled') sent++;
      else if (result.reason instanceof ChannelFull) full.push(result.reason.channel);
      else throw result.reason;
    }
    return { sent, full };
  }

  protected doReceive(channel: string, signal: AbortSignal | undefined): Promise<LayerMessage> {
    const buffered = this.#mailbox.take(channel);
    if (buffered !== undefined) return Promise.resolve(buffered);
    return this.#mailbox.wait(channel, signal);
  }

  protected override doListen(channel: string, listener: ChannelListener): boolean {
    return this.#mailbox.listen(channel, listener);
  }

  protected override doUnlisten(channel: string, listener: ChannelListener): void {
    this.#mailbox.unlisten(channel, listener);
  }

  protected async doGroupAdd(group: string, channel: string): Promise<void> {
    const now = this.now();
    await this.#store.nodeFor(group).eval(GROUP_ADD, [this.#groupKey(group)], [ttlSeconds(this.groupExpiry), toScore(now), channel]);
    this.#ledger.add(group, channel, now);
  }

  protected async doGroupDiscard(group: string, channel: string): Promise<void> {
    this.#ledger.discard(group, channel);
    await this.#store.nodeFor(group).command(['ZREM', this.#groupKey(group), channel]);
  }

  protected async doGroupMembers(group: string): Promise<string[]> {
    return this.#liveMembers(group);
  }

  protected async doGroupSend(group: string, sealed: SealedMessage): Promise<GroupSendResult> {
    const members = await this.#liveMembers(group);
    if (members.length === 0) return { dropped: 0 };
    const encoded = encodeMessage(sealed.message);
    const byQueue = new Map<string, string[]>();
    for (const channel of members) {
      const name = nonLocalName(channel);
      const list = byQueue.get(name);
      if (list === undefined) byQueue.set(name, [channel]);
      else list.push(channel);
    }
    const perNode = new Map<number, { pushes: QueuePush[]; counts: number[] }>();
    for (const [name, channels] of byQueue) {
      const index = this.#store.indexFor(name);
      let batch = perNode.get(index);
      if (batch === undefined) perNode.set(index, (batch = { pushes: [], counts: [] }));
      batch.pushes.push({ name, member: queueMemberFor(encoded, channels), capacity: this.capacityOf(channels[0]!) });
      batch.counts.push(channels.length);
    }
    const results = await Promise.all(
      [...perNode].map(async ([index, batch]) => {
        const flags = await this.#store.pushMany(index, batch.pushes);
        let dropped = 0;
        for (let i = 0; i < flags.length; i++) if (flags[i] === 1) dropped += batch.counts[i]!;
        return dropped;
      }),
    );
    return { dropped: results.reduce((a, b) => a + b, 0) };
  }

  protected async doFlush(): Promise<void> {
    this.#mailbox.clear();
    this.#ledger.clear();
    await Promise.all(this.#nodes.map((node) => deleteByPrefix(node, this.prefix)));
  }

  protected async doClose(): Promise<void> {
    this.#store.stop();
    this.#mailbox.close('RedisChannelLayer');
    await Promise.all(this.#nodes.map((node) => node.close()));
  }

  #groupKey(group: string): string {
    return `${this.prefix}:group:${group}`;
  }

  async #liveMembers(group: string): Promise<string[]> {
    const cutoff = toScore(this.now() - this.groupExpiryMs);
    return this.#store.nodeFor(group).eval<string[]>(GROUP_LIVE_MEMBERS, [this.#groupKey(group)], [cutoff]);
  }

  #onDown(index: number, error: Error): void {
    if (this.closed || this.#announcedDown.has(index)) return;
    this.#announcedDown.add(index);
    this.announce('disconnected', error);
  }

  async #onUp(index: number, info: UpInfo): Promise<void> {
    if (this.closed) return;
    const node = this.#nodes[index]!;
    try {
      await Promise.all([PUSH_CAPPED, GROUP_ADD, GROUP_LIVE_MEMBERS, WAKE].map((lua) => node.command(['SCRIPT', 'LOAD', lua.source])));
      if (info.restarted) await this.#restoreMemberships(index);
    } catch {
      // Lost again while restoring: the next 'up' tries again.
      return;
    }
    this.#store.resume(index);
    if (this.#announcedDown.delete(index)) this.announce('reconnected');
  }

  /** Write back this process's live memberships whose group lives on server `index`. */
  async #restoreMemberships(index: number): Promise<void> {
    const node = this.#nodes[index]!;
    const writes: Array<Promise<unknown>> = [];
    for (const [group, members] of this.#ledger.live(this.now() - this.groupExpiryMs)) {
      if (this.#store.indexFor(group) !== index) continue;
      const args = [ttlSeconds(this.groupExpiry)];
      for (const [channel, joinedAt] of members) args.push(toScore(joinedAt), channel);
      writes.push(node.eval(GROUP_ADD, [this.#groupKey(group)], args));
    }
    await Promise.all(writes);
  }
}
