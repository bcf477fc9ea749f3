/**
 * The Redis channel layer, wire-compatible with channels_redis 4.x's
 * RedisChannelLayer: a Django Channels app and a Switchyard app on the same
 * Redis and prefix can send to each other's channels and groups.
 *
 * Layout (prefix `asgi` by default):
 * - `asgi:group:<group>`: sorted set of channel names scored by join time (s).
 * - `asgi<non-local name>`: a channel queue (see queue-store.ts).
 * - `asgi:wake:<token>`: this process's wake key (transient).
 * - `asgi:history:<group>`, `asgi:history-meta:<group>`: the stream and the
 *   epoch/offset of a group with history (see lua.ts); Django ignores them.
 *
 * A group send reads the live members on the group's server, then pushes one
 * copy per destination queue of another process (the copy naming all its
 * members in `__asgi_channel__`) with one Lua call per server. Members that
 * are this instance's own channels, while someone reads them, get the
 * message straight into the local mailbox once those pushes succeeded, as
 * does a direct send to one of them: no push to Redis and no pop back
 * (own-channels.ts; the order this keeps is in docs/redis.md).
 */
import { createHash } from 'node:crypto';
import { ChannelFull, LayerUnavailable } from '../../errors';
import { BaseChannelLayer, type SealedEntry } from '../base-channel-layer';
import type { AnyEventMap, EventMap, GroupSendResult, LayerMessage, SendManyResult } from '../channel-layer';
import type { ChannelListener } from '../channel-listener';
import type { GroupHistory, GroupHistoryOptions, ResolvedRetention } from '../history';
import { isProcessLocal, nonLocalName } from '../names';
import type { SealedMessage } from '../message';
import { asgiChannelEntry, assertNoReservedKey, encodeMessage, historyStamp, loadRedisPeers, mapHeader, mapParts, queueMember, queueMemberFor, randomPrefixed } from './codec';
import { RedisNode, type UpInfo } from './connection';
import { deleteByPrefix } from './flush-prefix';
import { LocalMailbox } from './local-mailbox';
import { EpochSource, historyKeys, keepMs, oldestKeptTime, parseHistoryReply, readArgs } from './history-keys';
import { GROUP_ADD, GROUP_LIVE_MEMBERS, GROUP_SEND_HISTORY, HISTORY_READ, PUSH_CAPPED, WAKE } from './lua';
import { MembershipLedger } from './membership-ledger';
import { isOwnChannel, OwnQueuesInRedis, splitMembers } from './own-channels';
import { groupQueueMember } from './queue-member';
import { PendingLeaves } from './pending-leaves';
import { ProcessLiveness, scanNodes } from './process-liveness';
import { QueueStore, type QueuePush } from './queue-store';
import { resolveRedisOptions, toScore, ttlSeconds, type RedisLayerOptions } from './redis-options';

/** The fast path's test for a group send whose own members, too, must go through their queue. */
const THROUGH_REDIS = (): boolean => false;

/** Tries of a history group send whose member list keeps changing before the member check is skipped. */
const HISTORY_SEND_TRIES = 8;

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
  readonly #epochs = new EpochSource(this.processToken);
  readonly #leaves = new PendingLeaves();
  readonly #inRedis = new OwnQueuesInRedis();
  readonly #serveHere = (channel: string): boolean => this.#canServeHere(channel);
  readonly #liveness: ProcessLiveness | null;
  readonly #registryIndex: number;
  readonly #channelDropped = (channel: string, reason: string): void => this.announce('dropped', { channel, count: 1, reason });

  constructor(options: RedisChannelLayerOptions = {}) {
    super(options);
    loadRedisPeers();
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
      onDrained: (name, nodeIndex, score) => {
        if (!this.#inRedis.empty && nodeIndex === this.#store.indexFor(name)) this.#inRedis.popped(name, score);
      },
    });
    this.#registryIndex = this.#store.indexFor(`${this.prefix}:processes`);
    this.#liveness =
      options.liveness === false
        ? null
        : new ProcessLiveness(options.liveness, {
            prefix: this.prefix,
            token: this.processToken,
            registry: this.#nodes[this.#registryIndex]!,
            scanKeys: scanNodes(this.#nodes),
            restore: async () => {
              await Promise.all(this.#nodes.map((_, index) => this.#restoreMemberships(index)));
            },
            reaped: () => undefined,
          });
    this.#nodes.forEach((node, index) => {
      node.on('down', (error) => this.#onDown(index, error));
      node.on('up', (info) => void this.#onUp(index, info).catch(() => undefined));
      void node.start();
    });
  }

  /** Group leaves that failed during an outage and are retried on reconnection. */
  get pendingLeaves(): number {
    return this.#leaves.size;
  }

  /** True while every server's command connection is up. */
  get connected(): boolean {
    return this.#nodes.every((node) => node.ready);
  }

  protected async doSend(channel: string, sealed: SealedMessage): Promise<void> {
    const own = isOwnChannel(channel, this.processToken);
    if (own && this.#canServeHere(channel)) {
      assertNoReservedKey(sealed.message);
      if (!this.#deliverOwn(channel, sealed, this.now() + this.expiryMs)) throw new ChannelFull(channel, this.capacityOf(channel));
      return;
    }
    const encoded = encodeMessage(sealed.message);
    const local = isProcessLocal(channel);
    const name = local ? nonLocalName(channel) : channel;
    const capacity = this.capacityOf(channel);
    const member = local ? queueMemberFor(encoded, channel) : queueMember(encoded);
    const pushed = this.#store.push(name, member, capacity);
    if (own) this.#inRedis.pushed(name, this.#store.lastScore);
    if (!(await pushed)) throw new ChannelFull(channel, capacity);
  }

  /**
   * Whether a message for own channel `channel` goes straight into the
   * mailbox: only while someone reads it (so it is handed over, never
   * buffered here) and no earlier message of ours to its queue waits in
   * Redis (which it must not overtake). Otherwise it goes through Redis as
   * before, and waits there as it always did.
   */
  #canServeHere(channel: string): boolean {
    if (!this.#mailbox.hasWaiter(channel)) return false;
    return this.#inRedis.empty || !this.#inRedis.has(nonLocalName(channel));
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
    this.#leaves.cancel(group, channel);
    const now = this.now();
    await this.#store.nodeFor(group).eval(GROUP_ADD, [this.#groupKey(group)], [ttlSeconds(this.groupExpiry), toScore(now), channel]);
    this.#ledger.add(group, channel, now);
  }

  protected async doGroupDiscard(group: string, channel: string): Promise<void> {
    this.#ledger.discard(group, channel);
    try {
      await this.#store.nodeFor(group).command(['ZREM', this.#groupKey(group), channel]);
    } catch (error) {
      if (error instanceof LayerUnavailable) this.#leaves.add(group, channel);
      throw error;
    }
  }

  protected async doGroupMembers(group: string): Promise<string[]> {
    return this.#liveMembers(group);
  }

  protected async doGroupSend(group: string, sealed: SealedMessage): Promise<GroupSendResult> {
    const members = await this.#liveMembers(group);
    const retention = this.historyRetentionOf(group);
    if (retention !== null) return this.#sendWithHistory(group, sealed, members, retention);
    if (members.length === 0) return { dropped: 0 };
    const { own, queues } = splitMembers(members, this.processToken, this.#serveHere);
    let dropped = 0;
    if (queues.size > 0) {
      const encoded = encodeMessage(sealed.message);
      const perNode = new Map<number, { pushes: QueuePush[]; counts: number[] }>();
      for (const [name, channels] of queues) {
        const index = this.#store.indexFor(name);
        let batch = perNode.get(index);
        if (batch === undefined) perNode.set(index, (batch = { pushes: [], counts: [] }));
        batch.pushes.push({ name, member: groupQueueMember(encoded, channels), capacity: this.capacityOf(channels[0]!) });
        batch.counts.push(channels.length);
      }
      const results = await Promise.all([...perNode].map(([index, batch]) => this.#push(index, batch.pushes, batch.counts)));
      dropped = results.reduce((a, b) => a + b, 0);
    } else assertNoReservedKey(sealed.message);
    // Own members only once Redis took the other copies: a groupSend that rejects has delivered nowhere.
    return { dropped: dropped + this.#deliverOwnAll(own, sealed) };
  }

  /** Hand `sealed` to own channel `channel`; false when its buffer is full (a drop, as a full Redis queue was). */
  #deliverOwn(channel: string, sealed: SealedMessage, expiresAt: number): boolean {
    return this.#mailbox.deliver(channel, sealed, expiresAt, 'refuse');
  }

  /** Hand `sealed` to every own member; returns how many were full. */
  #deliverOwnAll(own: readonly string[], sealed: SealedMessage): number {
    if (own.length === 0) return 0;
    const expiresAt = this.now() + this.expiryMs;
    let dropped = 0;
    for (const channel of own) if (!this.#deliverOwn(channel, sealed, expiresAt)) dropped++;
    return dropped;
  }

  /** Push one batch to server `index`; returns how many members were full. */
  async #push(index: number, pushes: QueuePush[], counts: number[]): Promise<number> {
    const pushed = this.#store.pushMany(index, pushes);
    this.#notePushes(pushes);
    const flags = await pushed;
    let dropped = 0;
    for (let i = 0; i < flags.length; i++) if (flags[i] === 1) dropped += counts[i]!;
    return dropped;
  }

  /** Remember the own queues among `pushes`, just issued with the store's latest score. */
  #notePushes(pushes: ReadonlyArray<{ name: string }>): void {
    for (const { name } of pushes) if (isOwnChannel(name, this.processToken)) this.#inRedis.pushed(name, this.#store.lastScore);
  }

  /**
   * A group send with history: one script on the group's server checks the
   * members read are still the group's (else it answers the current ones and
   * the send is tried again with them), stores the message and pushes it to
   * the queues on that server. Queues on other servers (several hosts only)
   * get it after, stamped alike. Own members too go through their queue here,
   * not the local fast path: a queue is popped in send order, so a member sees
   * the group's offsets in increasing order with other processes' messages,
   * and a recovering client can resume from the last offset it saw.
   */
  async #sendWithHistory(group: string, sealed: SealedMessage, members: string[], retention: ResolvedRetention): Promise<GroupSendResult> {
    const { count, body } = mapParts(encodeMessage(sealed.message));
    const groupIndex = this.#store.indexFor(group);
    const node = this.#nodes[groupIndex]!;
    const keys = historyKeys(this.prefix, group);
    const keep = keepMs(retention, this.groupExpiryMs);
    const memberHead = mapHeader(count + 3);
    for (let attempt = 1; ; attempt++) {
      const here: Array<{ name: string; channels: string[] }> = [];
      const elsewhere = new Map<number, Array<{ name: string; channels: string[] }>>();
      const { queues } = splitMembers(members, this.processToken, THROUGH_REDIS);
      for (const [name, channels] of queues) {
        const index = this.#store.indexFor(name);
        if (index === groupIndex) here.push({ name, channels });
        else (elsewhere.get(index) ?? elsewhere.set(index, []).get(index)!).push({ name, channels });
      }
      const now = this.now();
      // Past a few tries under heavy churn the check is skipped: a joiner may then miss this one message live.
      const digest = attempt >= HISTORY_SEND_TRIES ? '*' : createHash('sha1').update(members.join('\n')).digest('hex');
      const args: Array<string | Buffer | Uint8Array> = [
        this.#epochs.next(),
        node.runId,
        keep,
        String(Math.floor(now)),
        oldestKeptTime(retention, now),
        String(retention.size),
        toScore(now - this.groupExpiryMs),
        digest,
        mapHeader(count + 2),
        body,
        ...this.#store.scoreArgs(),
      ];
      for (let i = 0; i < here.length; i++) args.push(randomPrefixed(memberHead));
      for (const { channels } of here) args.push(asgiChannelEntry(channels));
      for (const { channels } of here) args.push(String(this.capacityOf(channels[0]!)));
      const queueKeys = here.map(({ name }) => this.prefix + name);
      const sent = node.eval<Array<number | string | string[]>>(
        GROUP_SEND_HISTORY,
        [keys.stream, keys.meta, this.#groupKey(group), ...queueKeys],
        args as Array<string | Buffer>,
      );
      this.#notePushes(here);
      const reply = await sent;
      if (reply[0] === -1) {
        members = reply[1] as string[];
        continue;
      }
      const offset = reply[0] as number;
      const epoch = reply[1] as string;
      let dropped = 0;
      for (let i = 0; i < here.length; i++) if (reply[2 + i] === 1) dropped += here[i]!.channels.length;
      if (elsewhere.size > 0) {
        const stamp = historyStamp(offset, epoch);
        const results = await Promise.all(
          [...elsewhere].map(([index, queues]) =>
            this.#push(
              index,
              queues.map(({ name, channels }) => ({
                name,
                member: Buffer.concat([randomPrefixed(memberHead), body, stamp, asgiChannelEntry(channels)]),
                capacity: this.capacityOf(channels[0]!),
              })),
              queues.map(({ channels }) => channels.length),
            ),
          ),
        );
        dropped += results.reduce((a, b) => a + b, 0);
      }
      return { dropped, offset, epoch };
    }
  }

  protected override async doGroupHistory(group: string, options: GroupHistoryOptions, retention: ResolvedRetention): Promise<GroupHistory> {
    const node = this.#store.nodeFor(group);
    const keys = historyKeys(this.prefix, group);
    const args = [this.#epochs.next(), node.runId, ...readArgs(retention, keepMs(retention, this.groupExpiryMs), this.now(), options)];
    const reply = await node.eval<Parameters<typeof parseHistoryReply>[0]>(HISTORY_READ, [keys.stream, keys.meta], args, true);
    return parseHistoryReply(reply, options);
  }

  protected async doFlush(): Promise<void> {
    this.#leaves.clear();
    this.#inRedis.clear();
    this.#mailbox.clear();
    this.#ledger.clear();
    await Promise.all(this.#nodes.map((node) => deleteByPrefix(node, this.prefix)));
  }

  protected async doClose(): Promise<void> {
    this.#liveness?.stop();
    this.#leaves.clear();
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
    if (index === this.#registryIndex) this.#liveness?.down();
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
      await this.#leaves.retry(
        (group, channel) => node.command(['ZREM', this.#groupKey(group), channel]).then(() => undefined),
        (group) => this.#store.indexFor(group) === index,
      );
    } catch {
      // Lost again while restoring: the next 'up' tries again.
      return;
    }
    if (index === this.#registryIndex) this.#liveness?.up();
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
