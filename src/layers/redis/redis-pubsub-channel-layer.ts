/**
 * The fast fan-out Redis layer. A group send is one serialization and one
 * PUBLISH to the group's topic, whatever the group's size; each process
 * subscribes to a group's topic only while it has local members there, and
 * fans out to them locally. Work is proportional to interested processes.
 *
 * Layout (prefix `asgi` by default; not shared with channels_redis):
 * - topic `asgi:gt:<group>`: group messages.
 * - topic `asgi:in:<non-local name>`: one inbox per process (per
 *   `newChannel` prefix) for direct sends to its process-local channels.
 * - `asgi:group:<group>`: every member, scored by join time (groupMembers;
 *   it outlives a process restart and expires like channels_redis's).
 * - `asgi:groupq:<group>`: the named (non-process-local) members, which a
 *   group send pushes to individually: nobody subscribes for them.
 * - `asgi<name>`: queues of named channels, as in the core layer (they hold
 *   messages until some process receives, which pub/sub cannot).
 * - `asgi:history:{asgi:gt:<group>}`, `asgi:history-meta:{asgi:gt:<group>}`:
 *   a group's history (see lua.ts), hash-tagged into its topic's slot so one
 *   script stores and publishes, in a Redis Cluster too.
 */
import { ChannelFull, InvalidOption, LayerUnavailable } from '../../errors';
import { BaseChannelLayer } from '../base-channel-layer';
import type { AnyEventMap, EventMap, GroupSendResult, LayerMessage } from '../channel-layer';
import type { ChannelListener } from '../channel-listener';
import type { GroupHistory, GroupHistoryOptions, ResolvedRetention } from '../history';
import type { SealedMessage } from '../message';
import { isProcessLocal, nonLocalName } from '../names';
import { assertNoReservedKey, decodePayload, encodeMessage, historyStamp, loadRedisPeers, queueMember, queueMemberFor } from './codec';
import { RedisNode, type UpInfo } from './connection';
import { LocalMailbox } from './local-mailbox';
import { EpochSource, historyKeys, keepMs, mapWithStampRoom, oldestKeptTime, parseHistoryReply, readArgs, streamTagStart } from './history-keys';
import { HistoryBatcher, type HistoryAppend, type StoredSend } from './history-batch';
import { GROUP_ADD, GROUP_LIVE_MEMBERS, HISTORY_READ, PUBLISH_HISTORY, PUBLISH_HISTORY_BATCH, PUBLISH_OR_QUEUE } from './lua';
import { MembershipLedger } from './membership-ledger';
import { PendingLeaves } from './pending-leaves';
import { ProcessLiveness, scanNodes, type LivenessHost } from './process-liveness';
import { EnvelopeKind, envelopeSender, readEnvelope, writeEnvelope } from './pubsub-envelope';
import { NodesTransport, type PubSubTransport } from './pubsub-transport';
import { OwnEchoes } from './own-echoes';
import { QueueStore } from './queue-store';
import { resolveRedisOptions, toScore, ttlSeconds, type RedisLayerOptions } from './redis-options';

/** A send's named members when it has none. */
const NO_NAMED: readonly string[] = [];

/** Members taken per ZPOPMIN when draining an inbox's backlog. */
const INBOX_DRAIN = 500;

/** Options of RedisPubSubChannelLayer. */
export interface RedisPubSubChannelLayerOptions extends RedisLayerOptions {
  /**
   * Treat `hosts` (or `url`) as seed nodes of a Redis Cluster and use sharded
   * pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7+). Named (non-process-local)
   * channels are not available in cluster mode. Default false.
   */
  cluster?: boolean;
  /**
   * Deliver a group message to this process's own members at once, before
   * Redis has answered the PUBLISH (as Socket.IO's redis adapter does), while
   * the server is connected. Default false: local members get it after Redis
   * took it, so a groupSend that rejects has delivered nowhere. With true, a
   * groupSend that fails in flight (`LayerUnavailable` with `inFlight: true`)
   * may already have reached local members. Groups with history always wait:
   * the offset and epoch come from Redis.
   */
  localFirst?: boolean;
  /**
   * What a groupSend's promise waits for, for groups without history.
   * `'reply'` (default): Redis' reply to the PUBLISH (and the pushes to named
   * members), so a groupSend that resolved was taken by Redis. `'written'`:
   * while the group's server is connected, own members get the message at
   * once (as `localFirst`), the PUBLISH is written and the groupSend resolves
   * without waiting for the reply, as Socket.IO's redis adapter does. A
   * PUBLISH that then fails in flight is reported as a `'dropped'` event
   * naming the group (once per message), never as a rejection; named members
   * are pushed in the background with the same reporting, and their full
   * queues are reported as `'dropped'` events, not counted in the result.
   * While the server is known down a groupSend still rejects with
   * `LayerUnavailable` (or is held by `outageBuffer`). Groups with history
   * always wait: the offset and epoch come from Redis.
   */
  publishAck?: PublishAck;
}

/** What a pub/sub layer groupSend waits for (see `publishAck`). */
export type PublishAck = 'reply' | 'written';

const PUBLISH_ACKS: readonly string[] = ['reply', 'written'];

/**
 * Channel layer on Redis pub/sub: one PUBLISH per group send, local fan-out.
 * Not wire-compatible with Django Channels (use RedisChannelLayer for that).
 *
 * @example
 * const layer = new RedisPubSubChannelLayer({ url: 'redis://127.0.0.1:6379', prefix: 'chat' });
 * const channel = await layer.newChannel();
 * await layer.groupAdd('room.lobby', channel);
 * await layer.groupSend('room.lobby', { type: 'chat.message', text: 'hi' }); // one PUBLISH
 */
export class RedisPubSubChannelLayer<M extends EventMap = AnyEventMap> extends BaseChannelLayer<M> {
  /** Key and topic prefix. */
  readonly prefix: string;
  /** The servers (or cluster seed nodes). */
  readonly hosts: readonly string[];
  /** What a groupSend (to a group without history) waits for: `'reply'` (default) or `'written'`. */
  readonly publishAck: PublishAck;

  readonly #transport: PubSubTransport;
  readonly #nodes: RedisNode[];
  readonly #store: QueueStore | undefined;
  readonly #mailbox: LocalMailbox;
  /** Non-local names whose inbox this process listens to. */
  readonly #inboxes = new Set<string>();
  /** group -> own process-local member -> join time (ms). */
  readonly #local = new Map<string, Map<string, number>>();
  readonly #ledger = new MembershipLedger();
  readonly #announcedDown = new Set<number>();
  readonly #epochs = new EpochSource(this.processToken);
  readonly #publishCommand: 'PUBLISH' | 'SPUBLISH';
  readonly #localFirst: boolean;
  /** Whether any group keeps history: only then can an own echo carry something to deliver. */
  readonly #keepsHistory = this.extensions.includes('history');
  readonly #leaves = new PendingLeaves();
  readonly #liveness: ProcessLiveness | null = null;
  readonly #registryIndex: number;
  /** History appends of this turn, one script call per server; null on a cluster (its sends' keys are in different slots). */
  readonly #historyBatches: HistoryBatcher | null;
  /** Own sends with history whose echo is still to come (their members need not decode it). */
  readonly #ownEchoes = new OwnEchoes();
  readonly #channelDropped = (channel: string, reason: string): void => this.announce('dropped', { channel, count: 1, reason });
  readonly #onPayload = (payload: Buffer): void => this.#receivePayload(payload);

  constructor(options: RedisPubSubChannelLayerOptions = {}) {
    super(options);
    loadRedisPeers();
    const resolved = resolveRedisOptions(options);
    this.prefix = resolved.prefix;
    this.hosts = resolved.hosts;
    this.#mailbox = new LocalMailbox({
      now: this.now,
      capacityOf: (channel) => this.capacityOf(channel),
      onDropped: this.#channelDropped,
      onWatch: (key) => this.#store?.watch(key),
    });
    this.#publishCommand = options.cluster ? 'SPUBLISH' : 'PUBLISH';
    this.#localFirst = options.localFirst === true;
    if (options.publishAck !== undefined && !PUBLISH_ACKS.includes(options.publishAck)) {
      throw new InvalidOption(`publishAck must be 'reply' (wait for Redis' reply, the default) or 'written' (resolve once written), got ${JSON.stringify(options.publishAck)}`);
    }
    this.publishAck = options.publishAck ?? 'reply';
    let livenessKeys: Pick<LivenessHost, 'registry' | 'scanKeys'>;
    if (options.cluster) {
      // Loaded lazily: most deployments never need the cluster client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ClusterTransport } = require('./pubsub-cluster') as typeof import('./pubsub-cluster');
      this.#nodes = [];
      const cluster = new ClusterTransport(resolved.hosts, resolved.timing, resolved.clientOptions, this.#onPayload);
      this.#transport = cluster;
      this.#store = undefined;
      this.#historyBatches = null;
      livenessKeys = {
        // The registry and a claim key may sit on different shards: each command goes to its key's.
        registry: { command: (args) => cluster.command('', args) },
        scanKeys: (match, visit) => cluster.scanKeys(match, visit),
      };
    } else {
      this.#nodes = resolved.hosts.map((url) => new RedisNode(url, resolved.timing, resolved.clientOptions));
      this.#transport = new NodesTransport(this.#nodes, this.#onPayload);
      this.#store = new QueueStore({
        nodes: this.#nodes,
        prefix: this.prefix,
        wakeKey: `${this.prefix}:wake:${this.processToken}`,
        blockSeconds: resolved.blockTimeout,
        mailbox: this.#mailbox,
        now: this.now,
        expiryMs: this.expiryMs,
        pollLocal: false,
        onDropped: this.#channelDropped,
      });
      this.#historyBatches = new HistoryBatcher((appends) => this.#flushAppends(appends));
      livenessKeys = {
        registry: this.#nodes[this.#transport.indexFor(`${this.prefix}:processes`)]!,
        scanKeys: scanNodes(this.#nodes),
      };
    }
    this.#registryIndex = this.#transport.indexFor(`${this.prefix}:processes`);
    if (options.liveness !== false) {
      this.#liveness = new ProcessLiveness(options.liveness, {
        prefix: this.prefix,
        token: this.processToken,
        ...livenessKeys,
        restore: async () => {
          await Promise.all(Array.from({ length: this.#transport.size }, (_, index) => this.#restoreMemberships(index)));
        },
        reaped: () => undefined,
      });
    }
    this.#transport.on('down', (index, error) => this.#onDown(index, error));
    this.#transport.on('up', (index, info) => void this.#onUp(index, info).catch(() => undefined));
    for (const node of this.#nodes) void node.start();
  }

  /** Group leaves that failed during an outage and are retried on reconnection. */
  get pendingLeaves(): number {
    return this.#leaves.size;
  }

  /** A fresh process-local channel; this process's inbox for it is subscribed before it is returned. */
  override async newChannel(prefix?: string): Promise<string> {
    const channel = await super.newChannel(prefix);
    await this.#listenInbox(nonLocalName(channel));
    return channel;
  }

  protected async doSend(channel: string, sealed: SealedMessage): Promise<void> {
    // History group sends of this turn are written first: a sender's messages keep their order.
    this.#historyBatches?.flush();
    const capacity = this.capacityOf(channel);
    if (isProcessLocal(channel)) {
      const key = nonLocalName(channel);
      if (this.#inboxes.has(key)) {
        assertNoReservedKey(sealed.message); // refused as a remote send would refuse it
        if (!this.#mailbox.deliver(channel, sealed, this.now() + this.expiryMs, 'refuse')) throw new ChannelFull(channel, capacity);
        return;
      }
      const encoded = encodeMessage(sealed.message);
      const envelope = writeEnvelope(EnvelopeKind.Direct, this.now(), this.processToken, channel, '', encoded);
      if (this.#store === undefined) {
        const receivers = await this.#transport.publish(key, this.#inboxTopic(key), envelope);
        if (receivers === 0) this.#channelDropped(channel, 'no process listens for this channel');
        return;
      }
      // Nobody listening (yet): the message waits in the channel's queue, drained when its process subscribes.
      const args = [this.#inboxTopic(key), envelope, queueMemberFor(encoded, channel), String(capacity), ...this.#store.scoreArgs()];
      const result = await this.#transport.eval<number>(key, PUBLISH_OR_QUEUE, [this.prefix + key], args);
      if (result === -1) throw new ChannelFull(channel, capacity);
      return;
    }
    const store = this.#namedChannels();
    if (!(await store.push(channel, queueMember(encodeMessage(sealed.message)), capacity))) throw new ChannelFull(channel, capacity);
  }

  protected doReceive(channel: string, signal: AbortSignal | undefined): Promise<LayerMessage> {
    this.#prepareReader(channel);
    const buffered = this.#mailbox.take(channel);
    if (buffered !== undefined) return Promise.resolve(buffered);
    return this.#mailbox.wait(channel, signal);
  }

  protected override doListen(channel: string, listener: ChannelListener): boolean {
    this.#prepareReader(channel);
    return this.#mailbox.listen(channel, listener);
  }

  protected override doUnlisten(channel: string, listener: ChannelListener): void {
    this.#mailbox.unlisten(channel, listener);
  }

  /** A reader of `channel` needs its inbox subscribed (process-local) or the pop loop (named). */
  #prepareReader(channel: string): void {
    if (isProcessLocal(channel)) {
      const key = nonLocalName(channel);
      if (!this.#inboxes.has(key)) this.#listenInbox(key).catch(() => undefined);
    } else {
      this.#namedChannels();
    }
  }

  protected async doGroupAdd(group: string, channel: string): Promise<void> {
    this.#leaves.cancel(group, channel);
    const now = this.now();
    const ttl = ttlSeconds(this.groupExpiry);
    const score = toScore(now);
    const writes: Array<Promise<unknown>> = [this.#transport.eval(group, GROUP_ADD, [this.#groupKey(group)], [ttl, score, channel])];
    if (!isProcessLocal(channel)) {
      this.#namedChannels();
      writes.push(this.#transport.eval(group, GROUP_ADD, [this.#namedKey(group)], [ttl, score, channel]));
    }
    await Promise.all(writes);
    this.#ledger.add(group, channel, now);
    if (!isProcessLocal(channel)) return;
    const key = nonLocalName(channel);
    if (this.#inboxes.has(key)) await this.#joinLocal(group, channel, now);
    else await this.#transport.publish(key, this.#inboxTopic(key), writeEnvelope(EnvelopeKind.Join, now, this.processToken, channel, group));
  }

  protected async doGroupDiscard(group: string, channel: string): Promise<void> {
    this.#ledger.discard(group, channel);
    const local = isProcessLocal(channel) && this.#inboxes.has(nonLocalName(channel));
    // This process's own state first: a member that left must not get another message, whatever Redis says.
    if (local) await this.#leaveLocal(group, channel).catch(() => undefined);
    try {
      await this.#leaveRemote(group, channel, local);
    } catch (error) {
      if (error instanceof LayerUnavailable) this.#leaves.add(group, channel);
      throw error;
    }
  }

  /** The Redis side of a leave: the membership keys, and the owning process when it is another one. */
  async #leaveRemote(group: string, channel: string, local: boolean): Promise<void> {
    const writes: Array<Promise<unknown>> = [this.#transport.command(group, ['ZREM', this.#groupKey(group), channel])];
    if (!isProcessLocal(channel)) writes.push(this.#transport.command(group, ['ZREM', this.#namedKey(group), channel]));
    await Promise.all(writes);
    if (!isProcessLocal(channel) || local) return;
    const key = nonLocalName(channel);
    await this.#transport.publish(key, this.#inboxTopic(key), writeEnvelope(EnvelopeKind.Leave, this.now(), this.processToken, channel, group));
  }

  protected async doGroupMembers(group: string): Promise<string[]> {
    const cutoff = toScore(this.now() - this.groupExpiryMs);
    return this.#transport.eval<string[]>(group, GROUP_LIVE_MEMBERS, [this.#groupKey(group)], [cutoff]);
  }

  protected async doGroupSend(group: string, sealed: SealedMessage): Promise<GroupSendResult> {
    const retention = this.historyRetentionOf(group);
    if (retention !== null) return this.#sendWithHistory(group, sealed, retention);
    // History sends of this turn are written first: a sender's messages keep their order.
    this.#historyBatches?.flush();
    const now = this.now();
    const encoded = encodeMessage(sealed.message);
    const envelope = writeEnvelope(EnvelopeKind.Group, now, this.processToken, group, '', encoded);
    if (this.publishAck === 'written' && this.#transport.isUp(group)) return this.#sendWritten(group, sealed, encoded, envelope, now);
    // localFirst: own members now, while the server is up (the PUBLISH below is
    // then written, so a failure is an in-flight one, which the outage buffer
    // never replays: no duplicates); while it is known down, nobody gets it.
    const localFirst = this.#localFirst && this.#transport.isUp(group);
    let dropped = localFirst ? this.#fanOut(group, sealed, now) : 0;
    // Issued together: one round trip for the PUBLISH (other processes; this one
    // skips its own echo by the sender token) and the (usually empty) named members.
    const published = this.#transport.publish(group, this.#groupTopic(group), envelope);
    const named = this.#namedMembers(group, now);
    const [, namedMembers] = await Promise.all([published, named]);
    // By default local members only after Redis took it: a groupSend that rejects has delivered nowhere.
    if (!localFirst) dropped = this.#fanOut(group, sealed, now);
    if (namedMembers.length > 0) {
      const store = this.#store!;
      const results = await Promise.all(namedMembers.map((name) => store.push(name, queueMember(encoded), this.capacityOf(name))));
      for (const pushed of results) if (!pushed) dropped++;
    }
    return { dropped };
  }

  /**
   * publishAck 'written': own members now, the PUBLISH and the named members'
   * lookup issued (in this order on one connection, so a sender's messages
   * reach other processes in the order sent), their outcome reported later.
   */
  #sendWritten(group: string, sealed: SealedMessage, encoded: Uint8Array, envelope: Buffer, now: number): GroupSendResult {
    const dropped = this.#fanOut(group, sealed, now);
    const published = this.#transport.publish(group, this.#groupTopic(group), envelope);
    if (this.#store === undefined) published.catch((error: unknown) => this.#lostInFlight(group, 'PUBLISH', "other processes' members", error));
    else void this.#finishWritten(group, published, this.#namedMembers(group, now), encoded);
    return { dropped };
  }

  /** The background half of a 'written' group send: never rejects; what did not arrive becomes a `'dropped'` event. */
  async #finishWritten(group: string, published: Promise<number>, named: Promise<string[]>, encoded: Uint8Array): Promise<void> {
    const [publish, lookup] = await Promise.allSettled([published, named]);
    // One event per message, however many of its commands failed (they usually fail together, with their connection).
    if (publish.status === 'rejected') this.#lostInFlight(group, 'PUBLISH', "other processes' members", publish.reason);
    else if (lookup.status === 'rejected') this.#lostInFlight(group, 'named-member lookup', 'named (worker) members', lookup.reason);
    if (lookup.status === 'rejected' || lookup.value.length === 0) return;
    const store = this.#store!;
    const pushes = await Promise.allSettled(lookup.value.map((name) => store.push(name, queueMember(encoded), this.capacityOf(name))));
    let full = 0;
    pushes.forEach((push, i) => {
      if (push.status === 'fulfilled') {
        if (!push.value) full++;
      } else {
        this.#channelDropped(lookup.value[i]!, `group message to ${group} not stored: ${messageOf(push.reason)}`);
      }
    });
    this.reportDropped(group, full);
  }

  /** Report a 'written' group send whose PUBLISH (or named-member lookup) failed after it resolved. */
  #lostInFlight(group: string, command: string, who: string, error: unknown): void {
    this.announce('dropped', {
      group,
      count: 1,
      reason: `in-flight ${command} failed after groupSend resolved (publishAck 'written'); ${who} may not have it: ${messageOf(error)}`,
    });
  }

  /**
   * A group send with history: a script stores the message and publishes it
   * stamped (together with the other such sends of this turn to the same
   * server, see HistoryBatcher, which also reads the group's named members);
   * local members get it from the subscription.
   */
  async #sendWithHistory(group: string, sealed: SealedMessage, retention: ResolvedRetention): Promise<GroupSendResult> {
    const now = this.now();
    const message = mapWithStampRoom(encodeMessage(sealed.message));
    // Only while own members listen does an echo come back to this process.
    const tag = this.#local.has(group) ? this.#ownEchoes.expect(group, sealed, message.length) : '';
    const topic = this.#groupTopic(group);
    const keys = historyKeys(this.prefix, group, topic);
    const append: HistoryAppend = {
      route: group,
      keys: [keys.stream, keys.meta, this.#namedKey(group)],
      retention,
      header: writeEnvelope(EnvelopeKind.Group, now, this.processToken, group, tag),
      message,
    };
    let stored: StoredSend;
    try {
      stored = this.#historyBatches === null ? await this.#sendAlone(append, topic) : await this.#historyBatches.add(this.#transport.indexFor(group), append);
    } catch (error) {
      this.#ownEchoes.forget(tag);
      throw error;
    }
    if (!this.#local.has(group)) this.#ownEchoes.forget(tag);
    // Own members get it from the subscription, like every other process's
    // members: Redis publishes a group's messages in offset order, whichever
    // process sent them, and only that one stream keeps a member's offsets in
    // order (a recovering client resumes from its last offset, so an earlier
    // one arriving after it would be lost to it). Full buffers are reported then.
    const { offset, epoch, named } = stored;
    let dropped = 0;
    if (named.length > 0) {
      const store = this.#store!;
      const stamped = Buffer.concat([message, historyStamp(offset, epoch)]);
      const results = await Promise.all(named.map((name) => store.push(name, queueMember(stamped), this.capacityOf(name))));
      for (const pushed of results) if (!pushed) dropped++;
    }
    return { dropped, offset, epoch };
  }

  /** One send with history by PUBLISH_HISTORY: on a cluster, where a batch's groups would be in different slots (and named members do not exist). */
  async #sendAlone(append: HistoryAppend, topic: string): Promise<StoredSend> {
    const now = this.now();
    const { retention } = append;
    const args = [
      this.#epochs.next(),
      this.#transport.runIdFor(append.route),
      keepMs(retention, this.groupExpiryMs),
      String(Math.floor(now)),
      oldestKeptTime(retention, now),
      String(retention.size),
      this.#publishCommand,
      topic,
      append.header,
      append.message,
    ];
    const [offset, epoch] = await this.#transport.eval<[number, string]>(append.route, PUBLISH_HISTORY, [append.keys[0], append.keys[1]], args);
    return { offset, epoch, named: NO_NAMED };
  }

  /** Store and publish a batch of appends, all routed to one server, and read their named members. */
  async #flushAppends(appends: readonly HistoryAppend[]): Promise<unknown[]> {
    // Any of the batch's groups routes to its server.
    const route = appends[0]!.route;
    const now = this.now();
    // The batch's retentions, each passed once (most batches have one: groups match a few patterns).
    const retentions = new Map<ResolvedRetention, number>();
    const shared: string[] = [];
    const keys: string[] = [];
    const sends: Array<string | Buffer> = [];
    for (const append of appends) {
      let index = retentions.get(append.retention);
      if (index === undefined) {
        retentions.set(append.retention, (index = retentions.size + 1));
        shared.push(keepMs(append.retention, this.groupExpiryMs), oldestKeptTime(append.retention, now), String(append.retention.size));
      }
      keys.push(append.keys[0], append.keys[1], append.keys[2]);
      sends.push(String(index), append.header, append.message);
    }
    const args: Array<string | Buffer> = [
      this.#publishCommand,
      this.#transport.runIdFor(route),
      this.#epochs.next(),
      String(Math.floor(now)),
      String(streamTagStart(this.prefix)),
      `(${toScore(now - this.groupExpiryMs)}`,
      String(retentions.size),
      ...shared,
      ...sends,
    ];
    return this.#transport.eval<unknown[]>(route, PUBLISH_HISTORY_BATCH, keys, args);
  }

  #namedMembers(group: string, now: number): Promise<string[]> {
    if (this.#store === undefined) return Promise.resolve([]);
    return this.#transport.command<string[]>(group, ['ZRANGEBYSCORE', this.#namedKey(group), `(${toScore(now - this.groupExpiryMs)}`, '+inf']);
  }

  protected override async doGroupHistory(group: string, options: GroupHistoryOptions, retention: ResolvedRetention): Promise<GroupHistory> {
    const keys = historyKeys(this.prefix, group, this.#groupTopic(group));
    const args = [
      this.#epochs.next(),
      this.#transport.runIdFor(group),
      ...readArgs(retention, keepMs(retention, this.groupExpiryMs), this.now(), options),
    ];
    const reply = await this.#transport.eval<Parameters<typeof parseHistoryReply>[0]>(group, HISTORY_READ, [keys.stream, keys.meta], args, true);
    return parseHistoryReply(reply, options);
  }

  protected async doFlush(): Promise<void> {
    this.#leaves.clear();
    this.#ownEchoes.clear();
    this.#mailbox.clear();
    this.#ledger.clear();
    const groups = [...this.#local.keys()];
    this.#local.clear();
    await Promise.all(groups.map((group) => this.#transport.unsubscribe(group, this.#groupTopic(group))));
    await this.#transport.deleteByPrefix(this.prefix);
  }

  protected async doClose(): Promise<void> {
    this.#historyBatches?.flush();
    this.#ownEchoes.clear();
    this.#liveness?.stop();
    this.#leaves.clear();
    this.#store?.stop();
    this.#mailbox.close('RedisPubSubChannelLayer');
    await this.#transport.close();
  }

  #groupKey(group: string): string {
    return `${this.prefix}:group:${group}`;
  }

  #namedKey(group: string): string {
    return `${this.prefix}:groupq:${group}`;
  }

  #groupTopic(group: string): string {
    return `${this.prefix}:gt:${group}`;
  }

  #inboxTopic(key: string): string {
    return `${this.prefix}:in:${key}`;
  }

  #namedChannels(): QueueStore {
    if (this.#store === undefined) {
      throw new InvalidOption(
        'named (non-process-local) channels are not available with cluster: true; use newChannel() names, ' +
          'or the non-cluster pub/sub layer or RedisChannelLayer for worker channels',
      );
    }
    return this.#store;
  }

  async #listenInbox(key: string): Promise<void> {
    if (this.#inboxes.has(key)) return;
    this.#inboxes.add(key);
    try {
      await this.#transport.subscribe(key, this.#inboxTopic(key));
      await this.#drainInbox(key);
    } catch {
      // Redis is away: the topic is remembered, subscribed and drained when it is back.
    }
  }

  /** Deliver what was sent to `key`'s channels while nobody listened (see PUBLISH_OR_QUEUE). */
  async #drainInbox(key: string): Promise<void> {
    const store = this.#store;
    if (store === undefined) return;
    const queue = this.prefix + key;
    for (;;) {
      const popped = await this.#transport.command<Buffer[]>(key, ['ZPOPMIN', queue, String(INBOX_DRAIN)], true);
      for (let i = 0; i + 1 < popped.length; i += 2) store.deliverPopped(queue, popped[i]!, Number(popped[i + 1]!.toString()));
      if (popped.length < INBOX_DRAIN * 2) return;
    }
  }

  async #joinLocal(group: string, channel: string, joinedAt: number): Promise<void> {
    let members = this.#local.get(group);
    if (members === undefined) this.#local.set(group, (members = new Map()));
    members.set(channel, joinedAt);
    // Every member waits for the subscription, not only the first: a join that returned while it
    // is on its way would miss what is published meanwhile (and read the history too early).
    await this.#transport.subscribe(group, this.#groupTopic(group));
  }

  async #leaveLocal(group: string, channel: string): Promise<void> {
    const members = this.#local.get(group);
    if (members === undefined || !members.delete(channel) || members.size > 0) return;
    this.#local.delete(group);
    await this.#transport.unsubscribe(group, this.#groupTopic(group));
  }

  /** Deliver to this process's live members of `group`; returns how many were full. */
  #fanOut(group: string, sealed: SealedMessage, sentAt: number): number {
    const members = this.#local.get(group);
    if (members === undefined) return 0;
    const expiresAt = sentAt + this.expiryMs;
    const cutoff = this.now() - this.groupExpiryMs;
    let dropped = 0;
    for (const [channel, joinedAt] of members) {
      if (joinedAt <= cutoff) members.delete(channel);
      else if (!this.#mailbox.deliver(channel, sealed, expiresAt, 'refuse')) dropped++;
    }
    if (members.size === 0) {
      this.#local.delete(group);
      this.#transport.unsubscribe(group, this.#groupTopic(group)).catch(() => undefined);
    }
    return dropped;
  }

  #receivePayload(payload: Buffer): void {
    if (this.closed) return;
    try {
      const own = payload[0] === EnvelopeKind.Group && envelopeSender(payload) === this.processToken;
      // Without history anywhere, an own echo is skipped before it is even parsed (the common case, per message).
      if (own && !this.#keepsHistory) return;
      const envelope = readEnvelope(payload);
      switch (envelope.kind) {
        case EnvelopeKind.Group: {
          // Own messages were delivered at send, except to groups with history (see #sendWithHistory).
          // A tagged own echo is a history send by construction (see #sendWithHistory).
          if (own && envelope.b === '' && this.historyRetentionOf(envelope.a) === null) return;
          if (!this.#local.has(envelope.a)) {
            if (own) this.#ownEchoes.forget(envelope.b);
            return;
          }
          const sealed = (own ? this.#ownEchoes.take(envelope.b, envelope.a, envelope.body) : undefined) ?? decodePayload(envelope.body).sealed;
          const dropped = this.#fanOut(envelope.a, sealed, envelope.sentAt);
          this.reportDropped(envelope.a, dropped);
          return;
        }
        case EnvelopeKind.Direct:
          if (!this.#mailbox.deliver(envelope.a, decodePayload(envelope.body).sealed, envelope.sentAt + this.expiryMs, 'refuse')) {
            this.#channelDropped(envelope.a, 'local buffer full');
          }
          return;
        case EnvelopeKind.Join:
          this.#ledger.add(envelope.b, envelope.a, envelope.sentAt);
          void this.#joinLocal(envelope.b, envelope.a, envelope.sentAt).catch(() => undefined);
          return;
        case EnvelopeKind.Leave:
          this.#ledger.discard(envelope.b, envelope.a);
          void this.#leaveLocal(envelope.b, envelope.a).catch(() => undefined);
          return;
      }
    } catch (error) {
      this.announce('dropped', { count: 1, reason: `undecodable pub/sub payload: ${(error as Error).message}` });
    }
  }

  #onDown(index: number, error: Error): void {
    // Echoes on their way may be lost with the subscription.
    this.#ownEchoes.clear();
    if (index === this.#registryIndex) this.#liveness?.down();
    if (this.closed || this.#announcedDown.has(index)) return;
    this.#announcedDown.add(index);
    this.announce('disconnected', error);
  }

  async #onUp(index: number, info: UpInfo): Promise<void> {
    if (this.closed) return;
    try {
      if (info.restarted) await this.#restoreMemberships(index);
      for (const key of this.#inboxes) if (this.#transport.indexFor(key) === index) await this.#drainInbox(key);
      await this.#leaves.retry(
        (group, channel) => this.#leaveRemote(group, channel, isProcessLocal(channel) && this.#inboxes.has(nonLocalName(channel))),
        (group) => this.#transport.indexFor(group) === index,
      );
    } catch {
      return; // lost again; the next 'up' retries
    }
    if (index === this.#registryIndex) this.#liveness?.up();
    this.#store?.resume(index);
    if (this.#announcedDown.delete(index)) this.announce('reconnected');
  }

  /** After a server restart, write back the memberships this process holds whose group lives there. */
  async #restoreMemberships(index: number): Promise<void> {
    const writes: Array<Promise<unknown>> = [];
    const ttl = ttlSeconds(this.groupExpiry);
    for (const [group, members] of this.#ledger.live(this.now() - this.groupExpiryMs)) {
      if (this.#transport.indexFor(group) !== index) continue;
      const all = [ttl];
      const named = [ttl];
      for (const [channel, joinedAt] of members) {
        all.push(toScore(joinedAt), channel);
        if (!isProcessLocal(channel)) named.push(toScore(joinedAt), channel);
      }
      writes.push(this.#transport.eval(group, GROUP_ADD, [this.#groupKey(group)], all));
      if (named.length > 1) writes.push(this.#transport.eval(group, GROUP_ADD, [this.#namedKey(group)], named));
    }
    await Promise.all(writes);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
