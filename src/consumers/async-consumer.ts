/**
 * The generic consumer: one instance per connection, dispatching every event
 * (from the client and from its channel layer channel) to a handler method by
 * the rule in `handler-name.ts`, one at a time, in arrival order.
 *
 * One inbox, one loop:
 *
 *   client:  server inbox --push--> #clientEvent --+
 *            (or ReceivePump, for a pulled receive)  |
 *                                                    +--> #enqueue --> #queue --> #drain --> dispatch --> handler
 *   layer:   layer [DELIVER] ----------------------+
 *            (or ChannelPump, for a layer that cannot push)
 *
 * Sources that can only be pulled are adapted into push at the edge
 * (receive-pump.ts, layers/channel-pump.ts), so the consumer itself has two
 * entry points of the same shape and one queue.
 */
import { performance } from 'node:perf_hooks';
import { CONSUMER_CLASS, isProtocolEvent, type Application, type Event, type Receive, type Scope, type Send } from '../application';
import { LayerUnavailable, NoChannelLayer, NoHandler, PrivateHandler, StopConsumer } from '../errors';
import type { AnyEventMap, ChannelLayer, EventMap, GroupSendResult, LayerMessage, MessageOf } from '../layers/channel-layer';
import { DELIVER, stopListening } from '../layers/channel-listener';
import { readChannel, type ChannelPump } from '../layers/channel-pump';
import { ReplayGuard, joinWithHistory, type HistoryJoin, type HistoryJoinOptions } from '../layers/history-recovery';
import { getChannelLayer } from '../layers/registry';
import { unwatchMembership, watchMembership } from '../layers/membership-watch';
import { MEMBERSHIP } from '../symbols';
import { getLogger } from '../logging/process-logger';
import { instrumentation, layerStatsOf } from '../metrics/instrumentation';
import { listenToInbox } from '../inbox';
import { handlerNameOf, reserveMethodsOf } from './handler-name';
import { ReceivePump, type ClientFeed } from './receive-pump';

/** Where consumers report dropped events and errors that cannot reach the application's caller. */
export interface ConsumerLogger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** The default ConsumerLogger: the process logger, read at each call so `setLogger()` applies at once. */
const processConsumerLogger: ConsumerLogger = {
  warn(message, ...details) {
    getLogger().warn(fieldsOf(details), message);
  },
  error(message, ...details) {
    getLogger().error(fieldsOf(details), message);
  },
};

function fieldsOf(details: unknown[]): Record<string, unknown> {
  if (details.length === 0) return {};
  if (details.length === 1) return details[0] instanceof Error ? { err: details[0] } : { details: details[0] };
  const err = details.find((detail) => detail instanceof Error);
  return err === undefined ? { details } : { err, details: details.filter((detail) => detail !== err) };
}

// Event types that end the connection: the consumer stops reading and cleans up.
const DISCONNECT_TYPES: ReadonlySet<string> = new Set(['websocket.disconnect', 'http.disconnect']);
const RESOLVED: Promise<void> = Promise.resolve();


/** Options of `groupAdd(group, options)`: join with history (see HistoryJoinOptions). */
export type GroupJoinOptions = HistoryJoinOptions;

/** What `groupAdd(group, options)` reports: the join's outcome, and how many messages it replays first. */
export interface GroupJoin extends Omit<HistoryJoin, 'messages'> {
  replayed: number;
}

const warnedTypes = new WeakMap<Function, Set<string>>();

/**
 * Base class of every consumer. `E` is the event map of the channel layer
 * messages it sends and handles, so `this.channelLayer.groupSend(...)` is
 * type-checked (see `EventHandlers<E>` for checking handlers too).
 *
 * Lifecycle of `Consumer.asApp()` for one connection: resolve the layer
 * (`static channelLayerAlias`), take a fresh `channelName`, join
 * `static groups`, then dispatch client events and layer messages in arrival
 * order. On disconnect the backlog is dropped, every joined group is left,
 * and the disconnect handler runs at once, even while a handler is still
 * running. A `StopConsumer` thrown from a handler ends the consumer cleanly;
 * any other error ends it and the application rejects with it.
 *
 * @example
 * class Worker extends AsyncConsumer<{ 'thumbnail.make': { id: string } }> {
 *   async thumbnailMake(event: { type: 'thumbnail.make'; id: string }) { ... }
 * }
 */
export class AsyncConsumer<E extends EventMap = AnyEventMap> {
  /** Lets routers take the class itself: `path('ws/', ChatConsumer)` calls `ChatConsumer.asApp()`. */
  static readonly [CONSUMER_CLASS] = true as const;
  /** Alias of the channel layer to use (see `getChannelLayer`). Default `'default'`. */
  static channelLayerAlias = 'default';
  /** Groups every instance joins before its first event and leaves at the end. Default none. */
  static groups: readonly string[] = [];
  /** Close (websocket: 4404) on an event without a handler instead of logging and dropping it. Default false. */
  static strictDispatch = false;
  /**
   * Receives warnings (dropped events) and errors that have no other way out.
   * Default: the process logger (see `setLogger`), details under `details`.
   */
  static logger: ConsumerLogger = processConsumerLogger;
  /**
   * Client events read ahead of the handlers when they must be pulled with
   * `receive()` (a middleware wraps the server's receive). Past it the
   * consumer stops reading, so the server's `maxQueuedMessages` pauses a
   * flooding client. A disconnect queued behind unread events is seen once
   * the handlers catch up. Default 64.
   */
  static maxClientBacklog = 64;

  /** The connection scope (set before the first event). */
  scope!: Scope;

  #layer: ChannelLayer<E> | null = null;
  #channel: string | null = null;

  #send: Send | null = null;
  // Usually one group: its (shared) name rather than a Set per consumer; a Set holding one
  // name costs 174 B more per idle connection (v8 heap, 100k objects, Node 20). A Set from the
  // second group on. Guarded by the idle-bytes check of the bench smoke run (bench-smoke.test.ts).
  #groups: string | Set<string> | null = null;
  // The inbox: events waiting for dispatch, client events and layer messages alike.
  // Null while empty: an array kept per idle connection costs 32 B empty, more once it has grown.
  #queue: Array<Event | undefined> | null = null;
  #head = 0;
  // #drain is running or scheduled.
  #draining = false;
  #stopRequested = false;
  // No more events are taken or dispatched (disconnect or the consumer's own end).
  #ending = false;
  #clientGone = false;
  // This consumer sent its own close: the disconnect the server answers with waits for the running handler.
  #closeSent = false;
  #pendingDisconnect: Event | null = null;
  // Set once a group is joined with history. A field (8 B for every consumer) rather than a
  // WeakMap beside the consumer: the WeakMap's entry cost a guarded consumer about 30 B more.
  #guard: ReplayGuard | null = null;
  // The client source, told as each client event is handled: the server's (or a
  // communicator's) inbox, or a ReceivePump when `receive` can only be pulled.
  #clientFeed: ClientFeed | null = null;
  // Only for layers that cannot push; null while the layer pushes to this consumer.
  #layerPump: ChannelPump | null = null;
  // The run's promise, kept as its resolve function only (resolving it with a
  // rejected promise rejects it): one closure less per connection.
  #resolveRun: ((outcome: void | PromiseLike<void>) => void) | null = null;

  /**
   * An application that runs a fresh instance of this consumer per call,
   * with `initOptions` assigned onto the instance first.
   *
   * @example
   * const app = URLRouter([path('ws/chat/<roomName>/', ChatConsumer.asApp())]);
   */
  static asApp<C extends AsyncConsumer<any>>(this: new () => C, initOptions?: Partial<C>): Application {
    const Consumer = this;
    return (scope, receive, send) => {
      const consumer = new Consumer();
      if (initOptions) Object.assign(consumer, initOptions);
      return consumer.#run(scope, receive, send);
    };
  }

  /**
   * The channel layer named by `channelLayerAlias`. Throws NoChannelLayer
   * when none is configured (see `hasChannelLayer`).
   */
  get channelLayer(): ChannelLayer<E> {
    const layer = this.#layer;
    if (layer === null) throw new NoChannelLayer(`${this.constructor.name}.channelLayer`);
    return layer;
  }

  /** This consumer's own channel on the layer. Throws NoChannelLayer when no layer is configured. */
  get channelName(): string {
    const channel = this.#channel;
    if (channel === null) throw new NoChannelLayer(`${this.constructor.name}.channelName`);
    return channel;
  }

  /** True when a channel layer is configured for `channelLayerAlias` (so `channelLayer` does not throw). */
  get hasChannelLayer(): boolean {
    return this.#channel !== null;
  }

  /**
   * Send `message` to every member of `group` (the layer's groupSend).
   *
   * @example
   * await this.groupSend('chat_lobby', { type: 'chat.message', text });
   */
  groupSend(group: string, message: MessageOf<E>): Promise<GroupSendResult> {
    return this.#requireLayer(`groupSend(${JSON.stringify(group)})`).groupSend(group, message);
  }

  /** Send `message` to one `channel` (the layer's send), e.g. a worker or another consumer's `channelName`. */
  channelSend(channel: string, message: MessageOf<E>): Promise<void> {
    return this.#requireLayer(`channelSend(${JSON.stringify(channel)})`).send(channel, message);
  }

  /** The groups this instance has joined (static and by hand), as a snapshot. */
  get joinedGroups(): ReadonlySet<string> {
    const groups = this.#groups;
    return new Set(groups === null ? [] : typeof groups === 'string' ? [groups] : groups);
  }

  /**
   * Join `group` with this consumer's channel; it is left automatically at
   * the end. With `options` (a group with history, see the layer's `history`
   * option), first replay what the client missed since `options.since`, or
   * the newest `options.last` messages for a newcomer: they are handled, in
   * order, before any live message of the group, with none twice and none
   * missing in between. Call it from a handler (e.g. `connect()`), so the
   * replay runs right after it.
   *
   * @example
   * async connect() {
   *   const join = await this.groupAdd('chat_lobby', { since: sinceFromQuery(this.scope), last: 50 });
   *   await this.accept();
   *   if (!join.recovered) await this.sendJson({ type: 'history.lost' });
   * }
   */
  groupAdd(group: string): Promise<void>;
  groupAdd(group: string, options: GroupJoinOptions): Promise<GroupJoin>;
  async groupAdd(group: string, options?: GroupJoinOptions): Promise<void | GroupJoin> {
    const layer = this.#requireLayer(`groupAdd(${JSON.stringify(group)})`);
    let joined: GroupJoin | undefined;
    if (options === undefined) await layer.groupAdd(group, this.#channel as string);
    else joined = await this.#joinWithHistory(layer, group, options);
    // Usually done already by the layer's report (MEMBERSHIP); kept for layers that do not report.
    this.#remember(group);
    return joined;
  }

  /** Internal (MembershipWatcher): the layer applied a join or leave of this consumer's channel, whoever asked. */
  [MEMBERSHIP](group: string, joined: boolean): void {
    if (this.#ending) return;
    if (joined) this.#remember(group);
    else this.#forget(group);
  }

  #remember(group: string): void {
    const groups = this.#groups;
    if (groups === group || (groups !== null && typeof groups !== 'string' && groups.has(group))) return;
    if (instrumentation.on) instrumentation.groupJoined(group);
    if (groups === null) this.#groups = group;
    else if (typeof groups !== 'string') groups.add(group);
    else this.#groups = new Set([groups, group]);
  }

  #forget(group: string): void {
    this.#guard?.forget(group);
    const groups = this.#groups;
    if (groups === group) this.#groups = null;
    else if (groups === null || typeof groups === 'string' || !groups.delete(group)) return;
    if (instrumentation.on) instrumentation.groupLeft(group);
  }

  /** Join, read the history, then put the replay ahead of everything queued, dropping queued live duplicates. */
  async #joinWithHistory(layer: ChannelLayer<E>, group: string, options: GroupJoinOptions): Promise<GroupJoin> {
    const join = await joinWithHistory(layer, group, this.#channel as string, options);
    const guard = (this.#guard ??= new ReplayGuard());
    guard.mark(group, join.epoch, join.offset);
    const queued = this.#queue === null ? [] : (this.#queue.slice(this.#head) as Event[]);
    this.#queue = null;
    this.#head = 0;
    // Through #enqueue like every event: the replay first, then what was queued minus live duplicates.
    const replay = (join.messages as Event[]).filter((event) => !isProtocolEvent(event.type));
    for (const event of replay) this.#enqueue(event);
    for (const event of queued) if (guard.admit(event)) this.#enqueue(event);
    return { recovered: join.recovered, epoch: join.epoch, offset: join.offset, replayed: replay.length };
  }

  /** Leave `group` (leaving a group not joined is not an error). */
  async groupDiscard(group: string): Promise<void> {
    const layer = this.#requireLayer(`groupDiscard(${JSON.stringify(group)})`);
    this.#forget(group);
    await layer.groupDiscard(group, this.#channel as string);
  }

  /**
   * Call the handler for `event.type`. An event without a handler (or whose
   * type is refused by the name rule) is logged once per type and dropped,
   * or with `static strictDispatch` throws NoHandler / PrivateHandler.
   */
  dispatch(event: Event): Promise<void> {
    // Not `async`: the handler's own promise is returned as is, one promise
    // and one microtask less per event on the fan-out path.
    try {
      let name: string;
      try {
        name = handlerNameOf(event.type);
      } catch (error) {
        if (error instanceof PrivateHandler) {
          this.#unhandled(event.type, error);
          return RESOLVED;
        }
        throw error;
      }
      const handler = (this as unknown as Record<string, unknown>)[name];
      if (typeof handler !== 'function') {
        this.#unhandled(event.type, new NoHandler(event.type, name, this.constructor.name));
        return RESOLVED;
      }
      return Promise.resolve(handler.call(this, event) as Promise<void>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Hand an event to the server (or enclosing application). Dropped once the client is gone. */
  protected sendEvent(event: Event): Promise<void> {
    if (this.#clientGone || this.#send === null) return RESOLVED;
    if (event.type === 'websocket.close') this.#closeSent = true;
    try {
      return this.#send(event);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * End the consumer once the running handler returns (at once when none is
   * running); subclasses call it when the connection is over on their side.
   */
  protected requestStop(): void {
    this.#stopRequested = true;
    if (!this.#draining && this.#resolveRun !== null) void this.#finish(null);
  }

  /**
   * Called when handling `event` failed with LayerUnavailable (the channel
   * layer's backend is away); the consumer then handles the next event as
   * usual. Throw to end the consumer instead. Default: log it and go on
   * (WebSocket consumers refuse a handshake with 503, JSON ones send an error frame).
   */
  protected async onLayerUnavailable(error: LayerUnavailable, event: Event): Promise<void> {
    const ctor = this.constructor as typeof AsyncConsumer;
    ctor.logger.error(`${ctor.name}: handling ${JSON.stringify(event.type)} failed: the channel layer is unavailable`, error);
  }

  /**
   * Runs once when the consumer ends on its own (stop requested, StopConsumer
   * or an error), after the backlog is dropped and groups are left. Returns
   * the error the application should reject with, or null to resolve.
   */
  protected async onEnd(error: unknown): Promise<unknown> {
    return error instanceof StopConsumer ? null : error;
  }

  #requireLayer(what: string): ChannelLayer<E> {
    if (this.#layer === null || this.#channel === null) throw new NoChannelLayer(`${this.constructor.name}.${what}`);
    return this.#layer;
  }

  #unhandled(type: string, error: NoHandler | PrivateHandler): void {
    const ctor = this.constructor as typeof AsyncConsumer;
    instrumentation.noHandler(type);
    if (ctor.strictDispatch) throw error;
    let warned = warnedTypes.get(ctor);
    if (!warned) warnedTypes.set(ctor, (warned = new Set()));
    if (warned.has(type)) return;
    warned.add(type);
    ctor.logger.warn(`${error.message}; dropping such events (logged once per type)`);
  }

  #run(scope: Scope, receive: Receive, send: Send): Promise<void> {
    this.scope = scope;
    this.#send = send;
    const done = new Promise<void>((resolve) => {
      this.#resolveRun = resolve;
    });
    // Setup is async but short-lived; the connection holds only `done`.
    this.#start(receive).catch((error: unknown) => this.#settle(error));
    return done;
  }

  async #start(receive: Receive): Promise<void> {
    const ctor = this.constructor as typeof AsyncConsumer;
    const layer = getChannelLayer(ctor.channelLayerAlias) as ChannelLayer<E> | null;
    if (layer) {
      this.#layer = layer;
      this.#channel = await layer.newChannel();
      watchMembership(this.#channel, this);
      try {
        for (const group of ctor.groups) await this.groupAdd(group);
      } catch (error) {
        await this.#leaveGroups();
        throw error;
      }
    } else if (ctor.groups.length > 0) {
      throw new NoChannelLayer(`${ctor.name}.groups`);
    }
    // The server's and the communicators' `receive` push from their inbox (the
    // connect event, already there, at once); any other is adapted by a pump.
    this.#clientFeed =
      listenToInbox(receive, AsyncConsumer.#clientEvent, this) ??
      new ReceivePump(receive, AsyncConsumer.#clientEvent, AsyncConsumer.#receiveFailed, this, ctor.maxClientBacklog);
    // After the client's first step, so a connect event that is already
    // there is queued before messages that reached the channel early.
    if (layer) queueMicrotask(() => this.#readLayer(layer, this.#channel as string));
  }

  #readLayer(layer: ChannelLayer<E>, channel: string): void {
    if (this.#ending) return;
    this.#layerPump = readChannel(layer, channel, this, (error) => {
      const ctor = this.constructor as typeof AsyncConsumer;
      ctor.logger.error(`${ctor.name}: channel layer receive failed; retrying`, error);
    });
  }

  /** Entry point 1: a client event, pushed by the inbox (or a ReceivePump). */
  static #clientEvent = (consumer: AsyncConsumer<any>, event: Event): void => {
    if (consumer.#ending) return;
    if (DISCONNECT_TYPES.has(event.type)) consumer.#disconnect(event);
    else consumer.#enqueue(event);
  };

  /**
   * A disconnect skips the queue: it is never starved by a busy handler or a
   * backlog, and runs at once, except the one the server answers this
   * consumer's own close with: that one waits for the running handler (the
   * consumer "ends after the running handler returns", as a communicator
   * shows it too, where no such answer comes).
   */
  #disconnect(event: Event): void {
    if (this.#closeSent && this.#draining) {
      this.#pendingDisconnect = event;
      this.#stopRequested = true;
      return;
    }
    // In a microtask: handled after the code that delivered it has returned.
    queueMicrotask(() => void this.#disconnected(event));
  }

  static #receiveFailed = (consumer: AsyncConsumer<any>, error: unknown): void => {
    void consumer.#finish(error);
  };

  /** Entry point 2 (ChannelReader): a channel layer message, pushed by the layer (or a ChannelPump). */
  [DELIVER](message: LayerMessage): void {
    if (this.#ending) return;
    if (this.#guard !== null && !this.#guard.admit(message)) return;
    const type = message.type;
    if (typeof type === 'string' && isProtocolEvent(type)) {
      const ctor = this.constructor as typeof AsyncConsumer;
      ctor.logger.warn(`${ctor.name}: dropped a channel layer message of protocol type ${JSON.stringify(type)}`);
      return;
    }
    const stats = layerStatsOf(this.#layer);
    if (stats !== undefined) stats.deliveries++;
    this.#enqueue(message as Event);
  }

  /**
   * The inbox's one producer. Ordering: events are dispatched in the order
   * they reach here (client and layer interleaved as they arrived), one at
   * a time; only a disconnect skips ahead (#clientEvent). The drain starts in
   * a microtask, never inside the caller's stack (a layer push arrives in the
   * middle of another consumer's groupSend).
   */
  #enqueue(event: Event): void {
    (this.#queue ??= []).push(event);
    if (this.#draining) return;
    this.#draining = true;
    if (AsyncConsumer.#pendingDrains.push(this) === 1) queueMicrotask(AsyncConsumer.#startDrains);
  }

  // Consumers that got work in this turn, drained from one shared microtask: a
  // group send to N members schedules one microtask instead of N closures.
  static #pendingDrains: AsyncConsumer<any>[] = [];

  static #startDrains = (): void => {
    const consumers = AsyncConsumer.#pendingDrains;
    AsyncConsumer.#pendingDrains = [];
    for (let i = 0; i < consumers.length; i++) void consumers[i]!.#drain();
  };

  /** The one loop: dispatch queued events one at a time; `#draining` is already set by `#enqueue`. */
  async #drain(): Promise<void> {
    for (let queue = this.#queue; queue !== null && this.#head < queue.length && !this.#ending; queue = this.#queue) {
      const event = queue[this.#head] as Event;
      queue[this.#head++] = undefined;
      const startedAt = instrumentation.on ? performance.now() : -1;
      try {
        await this.dispatch(event);
        if (startedAt >= 0) instrumentation.handlerDone(event.type, startedAt);
      } catch (error) {
        let outcome: unknown = error;
        // The layer being away is the backend's outage, not this connection's fault: the consumer says so and goes on.
        if (error instanceof LayerUnavailable && !this.#ending) {
          try {
            await this.onLayerUnavailable(error, event);
            outcome = null;
          } catch (handlerError) {
            outcome = handlerError;
          }
        }
        if (outcome !== null) {
          this.#draining = false;
          return this.#finish(outcome);
        }
      }
      // The backpressure signal: the client source resumes a paused client once its
      // backlog is small. Layer messages never carry a protocol type ([DELIVER] drops them).
      if (isProtocolEvent(event.type)) this.#clientFeed?.consumed();
      if (this.#stopRequested) {
        this.#draining = false;
        const pending = this.#pendingDisconnect;
        return pending === null ? this.#finish(null) : this.#disconnected(pending);
      }
    }
    this.#queue = null;
    this.#head = 0;
    this.#draining = false;
  }

  #dropBacklog(): void {
    this.#queue = null;
    this.#head = 0;
    this.#clientFeed?.detach();
    const pump = this.#layerPump;
    this.#layerPump = null;
    if (pump !== null) pump.stop();
    else if (this.#layer !== null) stopListening(this.#layer, this.#channel as string, this);
  }

  async #leaveGroups(): Promise<void> {
    const layer = this.#layer;
    const channel = this.#channel;
    if (layer === null || channel === null) return;
    // No more reports: the leaves below would otherwise edit the list being left.
    unwatchMembership(channel, this);
    const joined = this.#groups;
    if (joined === null) return;
    const groups = typeof joined === 'string' ? [joined] : [...joined];
    this.#groups = null;
    if (groups.length === 0) return;
    if (instrumentation.on) for (const group of groups) instrumentation.groupLeft(group);
    const results = await Promise.allSettled(groups.map((group) => layer.groupDiscard(group, channel)));
    for (const result of results) {
      if (result.status === 'rejected') {
        const logger = (this.constructor as typeof AsyncConsumer).logger;
        if (result.reason instanceof LayerUnavailable) {
          logger.warn(`${this.constructor.name}: leaving a group failed while the channel layer is unavailable; the layer retries it on reconnection`);
        } else {
          logger.error(`${this.constructor.name}: leaving a group failed`, result.reason);
        }
      }
    }
  }

  #settle(outcome: unknown): void {
    const resolve = this.#resolveRun;
    if (resolve === null) return;
    this.#resolveRun = null;
    resolve(outcome === null ? undefined : Promise.reject(outcome));
  }

  /** The client went away: drop the backlog, leave groups, run the disconnect handler now. */
  async #disconnected(event: Event): Promise<void> {
    this.#ending = true;
    this.#clientGone = true;
    this.#dropBacklog();
    let outcome: unknown = null;
    try {
      await this.#leaveGroups();
      // A consumer without a disconnect handler simply ends: nothing to warn about.
      if (typeof (this as unknown as Record<string, unknown>)[handlerNameOf(event.type)] === 'function') {
        await this.dispatch(event);
      }
    } catch (error) {
      outcome = error instanceof StopConsumer ? null : error;
    }
    this.#settle(outcome);
  }

  /** The consumer ends on its own: stop requested (`error` null), StopConsumer, or an error. */
  async #finish(error: unknown): Promise<void> {
    if (this.#ending) {
      if (error !== null && !(error instanceof StopConsumer)) {
        (this.constructor as typeof AsyncConsumer).logger.error(
          `${this.constructor.name}: a handler failed after the connection ended`,
          error,
        );
      }
      return;
    }
    this.#ending = true;
    this.#dropBacklog();
    let outcome: unknown = error;
    try {
      await this.#leaveGroups();
      outcome = await this.onEnd(error);
    } catch (endError) {
      outcome = endError;
    }
    this.#clientGone = true;
    this.#settle(outcome);
  }
}

reserveMethodsOf(AsyncConsumer.prototype);
