/**
 * The shared front half of every channel layer. Public methods check the
 * layer is open, validate names and seal the message (one frozen copy per
 * send), then call a protected hook; backends implement only the hooks, so
 * every backend refuses the same input the same way.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { ChannelFull, HistoryNotEnabled, InvalidChannelName, InvalidOption, LayerClosed, ReceiveAborted } from '../errors';
import { instrumentation, layerStatsOf, type LayerOperation } from '../metrics/instrumentation';
import { positiveOption } from '../option-checks';
import { CapacityTable } from './capacity';
import { LISTEN, UNLISTEN, type ChannelListener, type ListenableLayer } from './channel-listener';
import { membershipChanged } from './membership-watch';
import {
  LAYER_DEFAULTS,
  type AnyEventMap,
  type ChannelLayer,
  type ChannelLayerEvents,
  type ChannelLayerOptions,
  type EventMap,
  type GroupSendResult,
  type LayerMessage,
  type MessageOf,
  type ReceiveOptions,
  type SendManyResult,
} from './channel-layer';
import { HISTORY_KEYS, HistoryTable, assertHistoryOptions, type GroupHistory, type GroupHistoryOptions, type ResolvedRetention } from './history';
import { sealMessage, withoutKeys, type SealedMessage } from './message';
import { OutageBuffer, type HeldSend } from './outage-buffer';
import { assertChannelName, assertGroupName, nonLocalName } from './names';

/** A validated channel name paired with its sealed message, as hooks receive them. */
export type SealedEntry = readonly [name: string, sealed: SealedMessage];

const PREFIX = /^[a-zA-Z\d\-_.]+$/;

/**
 * Base class for channel layer backends.
 *
 * Hooks are called only with valid names, a sealed message and an open
 * layer. Contract for implementers:
 * - `doSend` throws ChannelFull when the channel's queue (counted at
 *   `nonLocalName(channel)`, capacity from `capacityOf`) is full.
 * - `doReceive` resolves with `cloneForDelivery(sealed)` of the oldest
 *   unexpired message; when `signal` aborts it must remove its waiter and
 *   reject with ReceiveAborted, and must never resolve after that.
 * - `doGroupSend` skips full members and returns how many it skipped; the
 *   base emits `'dropped'` for that count (do not emit it again).
 * - `doClose` releases resources and rejects pending receives with LayerClosed.
 *
 * @example
 * class MyLayer extends BaseChannelLayer {
 *   protected async doSend(channel: string, sealed: SealedMessage) { ... }
 *   // ...the other hooks
 * }
 */
export abstract class BaseChannelLayer<M extends EventMap = AnyEventMap>
  extends EventEmitter<ChannelLayerEvents>
  implements ChannelLayer<M>, ListenableLayer
{
  /** Capabilities beyond the core; every built-in backend supports groups and flush, plus `history` when configured. */
  readonly extensions: readonly string[];
  /** Seconds a queued message lives. */
  readonly expiry: number;
  /** Seconds a group membership lives after the last groupAdd. */
  readonly groupExpiry: number;

  /** `expiry` in milliseconds. */
  protected readonly expiryMs: number;
  /** `groupExpiry` in milliseconds. */
  protected readonly groupExpiryMs: number;
  /** The layer's clock in milliseconds (the `clock` option, default `Date.now`). */
  protected readonly now: () => number;

  readonly #capacity: CapacityTable;
  readonly #history: HistoryTable;
  readonly #outage: OutageBuffer | null;
  readonly #processToken = randomBytes(9).toString('base64url');
  #closing: Promise<void> | undefined;

  constructor(options: ChannelLayerOptions = {}) {
    super();
    this.expiry = positiveOption(options.expiry, 'expiry', 'seconds', LAYER_DEFAULTS.expiry);
    this.groupExpiry = positiveOption(options.groupExpiry, 'groupExpiry', 'seconds', LAYER_DEFAULTS.groupExpiry);
    this.expiryMs = this.expiry * 1000;
    this.groupExpiryMs = this.groupExpiry * 1000;
    this.#capacity = new CapacityTable(options.capacity ?? LAYER_DEFAULTS.capacity, options.channelCapacity);
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidOption('clock must be a function returning the current time in milliseconds');
    }
    this.now = options.clock ?? Date.now;
    this.#history = new HistoryTable(options.history);
    this.extensions = this.#history.empty ? ['groups', 'flush'] : ['groups', 'flush', 'history'];
    this.#outage =
      options.outageBuffer === undefined
        ? null
        : new OutageBuffer(options.outageBuffer, this.expiry, {
            now: this.now,
            deliver: (entry) => this.#deliverHeld(entry),
            dropped: (entry, reason) =>
              this.announce('dropped', { [entry.kind === 'send' ? 'channel' : 'group']: entry.name, count: 1, reason }),
          });
    if (this.#outage !== null) this.on('reconnected', () => void this.#outage?.flush());
  }

  /** Sends waiting in the outage buffer (0 without one). */
  get heldSends(): number {
    return this.#outage?.pending ?? 0;
  }

  async #deliverHeld(entry: HeldSend): Promise<void> {
    if (this.#closing !== undefined) return;
    if (entry.kind === 'send') return this.doSend(entry.name, entry.sealed);
    const result = await this.doGroupSend(entry.name, entry.sealed);
    this.reportDropped(entry.name, result.dropped);
  }

  /** How much history `group` keeps, or null when none (the `history` option). */
  historyRetentionOf(group: string): ResolvedRetention | null {
    return this.#history.retentionOf(group);
  }

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Random per layer instance: two layers in one process behave like two processes. */
  protected get processToken(): string {
    return this.#processToken;
  }

  /**
   * The capacity of the queue `channel` is counted in. Patterns are matched
   * against the non-local name (`chat!abc` -> `chat!`), where capacity is counted.
   */
  capacityOf(channel: string): number {
    return this.#capacity.capacityOf(nonLocalName(channel));
  }

  /** Queue a message on a channel; throws ChannelFull at capacity. */
  async send(channel: string, message: MessageOf<M>): Promise<void> {
    this.#assertOpen();
    assertChannelName(channel);
    const sealed = sealMessage(message);
    const startedAt = this.#clock();
    try {
      if (this.#outage === null) await this.doSend(channel, sealed);
      else await this.#outage.run({ kind: 'send', name: channel, sealed }, () => this.doSend(channel, sealed));
    } catch (error) {
      if (error instanceof ChannelFull) layerStatsOf(this)?.drop('channel_full', 1);
      throw error;
    }
    this.#timed('send', startedAt);
  }

  /** Validate every entry first (nothing is sent if one is invalid), then queue each; full channels are reported. */
  async sendMany(entries: Iterable<readonly [channel: string, message: MessageOf<M>]>): Promise<SendManyResult> {
    this.#assertOpen();
    const sealed: SealedEntry[] = [];
    for (const [channel, message] of entries) {
      assertChannelName(channel);
      sealed.push([channel, sealMessage(message)]);
    }
    return this.doSendMany(sealed);
  }

  /** Wait for the next message on `channel` (full name, `!` included, for process-local channels). */
  async receive(channel: string, options?: ReceiveOptions): Promise<MessageOf<M>> {
    this.#assertOpen();
    assertChannelName(channel);
    const signal = options?.signal;
    if (signal?.aborted) throw new ReceiveAborted(channel);
    return (await this.doReceive(channel, signal)) as MessageOf<M>;
  }

  /**
   * Internal push delivery (see channel-listener.ts): the validated entry
   * to `doListen`. False when the backend cannot push or `channel` already
   * has a listener; the reader then uses `receive()`.
   */
  [LISTEN](channel: string, listener: ChannelListener): boolean {
    this.#assertOpen();
    assertChannelName(channel);
    return this.doListen(channel, listener);
  }

  /** Internal: stop a listener started with `[LISTEN]` (a no-op once closed). */
  [UNLISTEN](channel: string, listener: ChannelListener): void {
    if (this.#closing === undefined) this.doUnlisten(channel, listener);
  }

  /** A fresh process-local channel name: `<prefix>.<layer token>!<random>`. */
  async newChannel(prefix = 'specific'): Promise<string> {
    this.#assertOpen();
    if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
      throw new InvalidChannelName(prefix, `a newChannel prefix must match ${PREFIX.source}`);
    }
    const name = `${prefix}.${this.#processToken}!${randomBytes(9).toString('base64url')}`;
    assertChannelName(name);
    return name;
  }

  /** Add `channel` to `group`, refreshing its membership expiry. */
  async groupAdd(group: string, channel: string): Promise<void> {
    this.#assertOpen();
    assertGroupName(group);
    assertChannelName(channel);
    const startedAt = this.#clock();
    await this.doGroupAdd(group, channel);
    this.#timed('group_add', startedAt);
    membershipChanged(channel, group, true);
  }

  /** Remove `channel` from `group`; a non-member is not an error. */
  async groupDiscard(group: string, channel: string): Promise<void> {
    this.#assertOpen();
    assertGroupName(group);
    assertChannelName(channel);
    const startedAt = this.#clock();
    await this.doGroupDiscard(group, channel);
    this.#timed('group_discard', startedAt);
    membershipChanged(channel, group, false);
  }

  /**
   * Send to every current member once; full members are skipped, counted and
   * reported by a `'dropped'` event. The reserved `__offset__`/`__epoch__`
   * keys are dropped from `message`; a group with history stamps its own.
   */
  async groupSend(group: string, message: MessageOf<M>): Promise<GroupSendResult> {
    this.#assertOpen();
    assertGroupName(group);
    const sealed = withoutKeys(sealMessage(message), HISTORY_KEYS);
    const stats = layerStatsOf(this);
    if (stats !== undefined) stats.groupSends++;
    const startedAt = this.#clock();
    let result: GroupSendResult = { dropped: 0, buffered: true };
    const run = async (): Promise<void> => {
      result = await this.doGroupSend(group, sealed);
    };
    if (this.#outage === null) await run();
    else await this.#outage.run({ kind: 'group', name: group, sealed }, run);
    this.#timed('group_send', startedAt);
    this.reportDropped(group, result.dropped);
    return result;
  }

  /** Several group sends; every entry is validated before any is sent. `dropped` is the total. */
  async groupSendMany(entries: Iterable<readonly [group: string, message: MessageOf<M>]>): Promise<GroupSendResult> {
    this.#assertOpen();
    const sealed: SealedEntry[] = [];
    for (const [group, message] of entries) {
      assertGroupName(group);
      sealed.push([group, withoutKeys(sealMessage(message), HISTORY_KEYS)]);
    }
    const stats = layerStatsOf(this);
    if (stats !== undefined) stats.groupSends += sealed.length;
    return this.doGroupSendMany(sealed);
  }

  /** The group's unexpired members, in no particular order. */
  async groupMembers(group: string): Promise<string[]> {
    this.#assertOpen();
    assertGroupName(group);
    const startedAt = this.#clock();
    if (startedAt < 0) return this.doGroupMembers(group);
    const members = await this.doGroupMembers(group);
    this.#timed('group_members', startedAt);
    return members;
  }

  /**
   * The retained history of `group` (see `GroupHistory`). Throws
   * HistoryNotEnabled unless a `history` pattern matches the group.
   *
   * @example
   * const { messages, recovered } = await layer.groupHistory('chat_lobby', { since: { offset: 41, epoch } });
   */
  async groupHistory(group: string, options: GroupHistoryOptions = {}): Promise<GroupHistory<MessageOf<M>>> {
    this.#assertOpen();
    assertGroupName(group);
    assertHistoryOptions(options);
    const retention = this.#history.retentionOf(group);
    if (retention === null) throw new HistoryNotEnabled(group);
    return (await this.doGroupHistory(group, options, retention)) as GroupHistory<MessageOf<M>>;
  }

  /** Drop every message and group; pending receives keep waiting. */
  async flush(): Promise<void> {
    this.#assertOpen();
    this.#outage?.clear();
    await this.doFlush();
  }

  /** Release resources; pending receives reject with LayerClosed, later calls throw it. Idempotent. */
  close(): Promise<void> {
    this.#outage?.clear();
    this.#closing ??= this.doClose();
    return this.#closing;
  }

  /** Queue each entry with `doSend`, collecting full channels. Backends may batch instead. */
  protected async doSendMany(entries: readonly SealedEntry[]): Promise<SendManyResult> {
    const full: string[] = [];
    let sent = 0;
    for (const [channel, sealed] of entries) {
      try {
        await this.doSend(channel, sealed);
        sent++;
      } catch (error) {
        if (!(error instanceof ChannelFull)) throw error;
        full.push(channel);
      }
    }
    return { sent, full };
  }

  /** Send each entry with `doGroupSend`, reporting drops per group. Backends may batch instead (and must call `reportDropped`). */
  protected async doGroupSendMany(entries: readonly SealedEntry[]): Promise<GroupSendResult> {
    let dropped = 0;
    for (const [group, sealed] of entries) {
      const result = await this.doGroupSend(group, sealed);
      this.reportDropped(group, result.dropped);
      dropped += result.dropped;
    }
    return { dropped };
  }

  /** Emit `'dropped'` for `count` members of `group` skipped because they were full. */
  protected reportDropped(group: string, count: number): void {
    if (count > 0) this.announce('dropped', { group, count, reason: 'channel full' });
  }

  /**
   * Emit a layer event without letting a throwing listener break the send,
   * receive loop or reconnect that noticed it: the error becomes a process
   * warning instead.
   */
  protected announce<K extends keyof ChannelLayerEvents>(event: K, ...args: ChannelLayerEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ChannelLayerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      process.emitWarning(`a channel layer '${String(event)}' listener threw: ${(error as Error)?.stack ?? String(error)}`, 'SwitchyardWarning');
    }
  }

  /**
   * Push delivery hook. Backends that can push deliver the queued messages
   * of `channel` to `listener` at once, then every new one synchronously as
   * it arrives (instead of to waiters), until `doUnlisten`; capacity never
   * refuses a message a listener takes. Default: false (readers use `receive()`).
   */
  protected doListen(_channel: string, _listener: ChannelListener): boolean {
    return false;
  }

  /** History hook: backends that keep history override it. The base calls it only for a group with a retention. */
  protected async doGroupHistory(group: string, _options: GroupHistoryOptions, _retention: ResolvedRetention): Promise<GroupHistory> {
    throw new InvalidOption(`${this.constructor.name} keeps no group history (group ${JSON.stringify(group)}); remove the history option`);
  }

  /** Remove `listener` if it is still `channel`'s. Default: nothing to remove. */
  protected doUnlisten(_channel: string, _listener: ChannelListener): void {}

  protected abstract doSend(channel: string, sealed: SealedMessage): Promise<void>;
  protected abstract doReceive(channel: string, signal: AbortSignal | undefined): Promise<LayerMessage>;
  protected abstract doGroupAdd(group: string, channel: string): Promise<void>;
  protected abstract doGroupDiscard(group: string, channel: string): Promise<void>;
  protected abstract doGroupSend(group: string, sealed: SealedMessage): Promise<GroupSendResult>;
  protected abstract doGroupMembers(group: string): Promise<string[]>;
  protected abstract doFlush(): Promise<void>;
  protected abstract doClose(): Promise<void>;

  /** A start time for #timed while metrics are on, else -1 (no clock read). */
  #clock(): number {
    return instrumentation.on && layerStatsOf(this) !== undefined ? performance.now() : -1;
  }

  #timed(operation: LayerOperation, startedAt: number): void {
    if (startedAt >= 0) layerStatsOf(this)?.timed(operation, startedAt);
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new LayerClosed(this.constructor.name);
  }
}

