/**
 * Who is in a group, across processes, on top of any channel layer.
 *
 * Each tracker is a node: it owns the entries tracked through it, and
 * replicates them to its peers through one layer group (the topic), in the
 * style of Phoenix Presence: small deltas on join/leave (batched per tick),
 * a tiny heartbeat with the node's sequence number, and the full state only
 * when a peer asks (on start, on a gap in the sequence, after a reconnect).
 * A node whose heartbeat has not been seen for `timeoutMs` is dropped with a
 * leave for each member only it kept present, so the members of a process
 * that died disappear within `timeoutMs + heartbeatMs`.
 *
 * (One file past the usual size: both sides of the protocol share the
 * node's sequence number and peer table; the data structure itself is in
 * presence-state.ts and the wire format in presence-messages.ts.)
 */
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidOption, LayerClosed, ReceiveAborted } from '../errors';
import { getLogger } from '../logging/process-logger';
import { instrumentation } from '../metrics/instrumentation';
import { positiveOption } from '../option-checks';
import type { ChannelLayer, LayerMessage } from '../layers/channel-layer';
import { sealMessage } from '../layers/message';
import { assertGroupName } from '../layers/names';
import { BYE, DELTA, HEARTBEAT, HELLO, STATE, SYNC, isEntry, isOp, isPresenceMessage, type PresenceOp, type PresenceWireMessage } from './presence-messages';
import { PresenceState, type PresenceChange, type PresenceConnection, type PresenceMember, type PresenceMeta } from './presence-state';

/** Options of PresenceTracker. */
export interface PresenceTrackerOptions {
  /** Milliseconds between heartbeats. Default 5000. */
  heartbeatMs?: number;
  /** A peer silent for this long is dropped with its members. Default `3 * heartbeatMs`; must exceed `heartbeatMs`. */
  timeoutMs?: number;
  /** The layer group trackers talk through; trackers on different topics ignore each other. Default `switchyard.presence`. */
  topic?: string;
  /** Current time in milliseconds (liveness and meta ordering). Default `Date.now`. */
  clock?: () => number;
}

/** Events of a tracker; `node` on a change tells which tracker it came from (`change.node === tracker.node` for this one). */
export interface PresenceEvents {
  /** A member's first connection in a group appeared. */
  join: [change: PresenceChange];
  /** A member's last connection in a group went away (or its node died). */
  leave: [change: PresenceChange];
  /** A present member gained or lost a connection, or its meta changed. */
  update: [change: PresenceChange];
  /** A send to peers or a listener failed; the tracker carries on. Without a listener it is printed. */
  error: [error: Error];
}

type Listener<E extends keyof PresenceEvents> = (...args: PresenceEvents[E]) => void;

interface Peer {
  seq: number;
  lastSeen: number;
  /** When we last asked it for its state (throttles requests to one per heartbeat). */
  syncAskedAt: number;
}

const DEFAULT_TOPIC = 'switchyard.presence';

/** A group and a member in it. */
type Pair = [group: string, member: string];

function isPair(tracked: Pair | Pair[]): tracked is Pair {
  return typeof tracked[0] === 'string';
}
const RETRY_MS = 200;

function id(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOption(`PresenceTracker: ${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Tracks members of groups (rooms, documents...) with metadata, merged
 * across every tracker on the same layer and topic. A member with several
 * connections (tabs) is one member; `join` fires for its first connection and
 * `leave` after its last.
 *
 * @example
 * const presence = new PresenceTracker(getChannelLayer()!, { heartbeatMs: 5000 });
 * presence.on('join', ({ group, id, meta }) => console.log(`${id} joined ${group}`, meta));
 * await presence.track('lobby', 'alice', consumer.channelName, { name: 'Alice' });
 * presence.list('lobby'); // [{ id: 'alice', meta: { name: 'Alice' }, connections: 1 }]
 * await presence.untrackConnection(consumer.channelName); // on disconnect
 * await presence.close();
 */
export class PresenceTracker {
  readonly heartbeatMs: number;
  readonly timeoutMs: number;
  readonly topic: string;
  readonly #layer: ChannelLayer;
  readonly #clock: () => number;
  readonly #state = new PresenceState();
  readonly #events = new EventEmitter();
  readonly #peers = new Map<string, Peer>();
  /**
   * connection -> the [group, member] pairs it tracks through this node: usually
   * one, held as is rather than in an array (idle memory); an array from the second on.
   */
  readonly #byConnection = new Map<string, Pair | Pair[]>();
  readonly #abort = new AbortController();
  readonly #ready: Promise<void>;
  #node = '';
  #seq = 0;
  #ops: PresenceOp[] = [];
  #flushScheduled = false;
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> = Promise.resolve();
  #stopped = false;
  #closing: Promise<void> | undefined;
  readonly #onReconnected = (): void => this.#hello();

  constructor(layer: ChannelLayer, options: PresenceTrackerOptions = {}) {
    if (layer === null || typeof layer !== 'object' || typeof layer.receive !== 'function') {
      throw new InvalidOption('PresenceTracker needs a ChannelLayer, e.g. new PresenceTracker(getChannelLayer()!)');
    }
    this.#layer = layer;
    this.heartbeatMs = positiveOption(options.heartbeatMs ?? 5000, 'PresenceTracker: heartbeatMs', 'milliseconds');
    this.timeoutMs = positiveOption(options.timeoutMs ?? 3 * this.heartbeatMs, 'PresenceTracker: timeoutMs', 'milliseconds');
    if (this.timeoutMs <= this.heartbeatMs) {
      throw new InvalidOption(
        `PresenceTracker: timeoutMs (${this.timeoutMs}) must exceed heartbeatMs (${this.heartbeatMs}); 3 x heartbeatMs is a good choice`,
      );
    }
    this.topic = options.topic ?? DEFAULT_TOPIC;
    assertGroupName(this.topic);
    this.#clock = options.clock ?? Date.now;
    this.#ready = this.#start();
    instrumentation.presence.add(this);
    // Failures surface from ready()/track(); never as an unhandled rejection.
    this.#ready.catch(() => undefined);
  }

  /** This tracker's node id (its channel name); empty until ready. */
  get node(): string {
    return this.#node;
  }

  /** Resolves once the tracker has joined its topic and asked peers for their state. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Track `connection` of `member` in `group`, with `meta` (plain data, shown
   * by `list`; the newest connection's meta wins). Tracking the same
   * connection again replaces its meta (an `update`).
   */
  async track(group: string, member: string, connection: string, meta: PresenceMeta = {}): Promise<void> {
    id('group', group);
    id('member id', member);
    id('connection id', connection);
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
      throw new InvalidOption(`PresenceTracker.track: meta must be a plain object, got ${JSON.stringify(meta)}`);
    }
    // Same checks as a layer message, and a frozen copy the caller cannot mutate.
    const sealed = sealMessage({ type: 'presence.meta', meta }).message.meta as PresenceMeta;
    await this.#whenOpen();
    const at = Math.max(this.#clock(), this.#lastAt + 1);
    this.#lastAt = at;
    const changes: PresenceChange[] = [];
    if (this.#state.add(this.#node, group, member, connection, sealed, at, changes)) {
      const tracked = this.#byConnection.get(connection);
      if (tracked === undefined) this.#byConnection.set(connection, [group, member]);
      else if (isPair(tracked)) this.#byConnection.set(connection, [tracked, [group, member]]);
      else tracked.push([group, member]);
    }
    this.#queue(['j', group, member, connection, sealed, at]);
    this.#emitAll(changes);
  }

  /** Stop tracking one connection of `member` in `group`; untracking what is not tracked is a no-op. */
  async untrack(group: string, member: string, connection: string): Promise<void> {
    await this.#whenOpen();
    this.#untrack(group, member, connection);
  }

  /** Stop tracking `connection` in every group (call it when the connection closes). */
  async untrackConnection(connection: string): Promise<void> {
    await this.#whenOpen();
    const tracked = this.#byConnection.get(connection);
    if (tracked === undefined) return;
    for (const [group, member] of isPair(tracked) ? [tracked] : [...tracked]) this.#untrack(group, member, connection);
  }

  /** Members present in `group`, on every node this tracker knows. */
  list(group: string): PresenceMember[] {
    return this.#state.list(group);
  }

  /** One member of `group`, or undefined when absent. */
  get(group: string, member: string): PresenceMember | undefined {
    return this.#state.get(group, member);
  }

  /** Every connection (tab, device) of `member` in `group`, on every node, oldest first. */
  connections(group: string, member: string): PresenceConnection[] {
    return this.#state.connectionsOf(group, member);
  }

  /** Groups with at least one member present. */
  groups(): string[] {
    return this.#state.groups();
  }

  /** Listen to `join`, `leave`, `update` or `error`. */
  on<E extends keyof PresenceEvents>(event: E, listener: Listener<E>): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Listen once. */
  once<E extends keyof PresenceEvents>(event: E, listener: Listener<E>): this {
    this.#events.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Stop listening. */
  off<E extends keyof PresenceEvents>(event: E, listener: Listener<E>): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /**
   * Stop timers, tell peers this node is gone (they drop its members at once)
   * and leave the topic. Local state is cleared without events. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown(true);
    return this.#closing;
  }

  /**
   * Stop silently, as if the process had died: no goodbye, the topic
   * membership stays. Peers drop this node after `timeoutMs`. For tests and
   * failure drills.
   */
  kill(): Promise<void> {
    this.#closing ??= this.#shutdown(false);
    return this.#closing;
  }

  // ------------------------------------------------------------ lifecycle

  async #start(): Promise<void> {
    this.#node = await this.#layer.newChannel('presence');
    if (this.#stopped) return;
    await this.#layer.groupAdd(this.topic, this.#node);
    if (this.#stopped) return;
    this.#loop = this.#receiveLoop();
    this.#layer.on('reconnected', this.#onReconnected);
    this.#timer = setInterval(() => this.#tick(), this.heartbeatMs);
    this.#timer.unref();
    this.#broadcast({ type: HELLO, node: this.#node });
  }

  async #whenOpen(): Promise<void> {
    if (this.#closing !== undefined) throw new LayerClosed('presence tracker');
    await this.#ready;
    if (this.#closing !== undefined) throw new LayerClosed('presence tracker');
  }

  async #shutdown(announce: boolean): Promise<void> {
    this.#stopped = true;
    instrumentation.presence.delete(this);
    try {
      await this.#ready;
    } catch {
      return; // never started: nothing to undo
    }
    clearInterval(this.#timer);
    this.#layer.off('reconnected', this.#onReconnected);
    this.#abort.abort();
    if (announce) {
      await this.#layer.groupSend(this.topic, { type: BYE, node: this.#node }).catch((e: unknown) => this.#report(e));
      await this.#layer.groupDiscard(this.topic, this.#node).catch((e: unknown) => this.#report(e));
    }
    await this.#loop;
    this.#ops = [];
    this.#state.clear();
    this.#peers.clear();
    this.#byConnection.clear();
  }

  #tick(): void {
    const now = this.#clock();
    for (const [node, peer] of this.#peers) {
      if (now - peer.lastSeen > this.timeoutMs) this.#dropPeer(node);
    }
    // Re-adding refreshes the membership's expiry on backends that expire groups.
    this.#layer.groupAdd(this.topic, this.#node).catch((e: unknown) => this.#report(e));
    this.#broadcast({ type: HEARTBEAT, node: this.#node, seq: this.#seq });
  }

  #hello(): void {
    if (this.#stopped) return;
    this.#layer.groupAdd(this.topic, this.#node).catch((e: unknown) => this.#report(e));
    this.#broadcast({ type: HELLO, node: this.#node });
  }

  // ------------------------------------------------------------ outgoing

  #untrack(group: string, member: string, connection: string): void {
    const changes: PresenceChange[] = [];
    if (!this.#state.remove(this.#node, group, member, connection, changes)) return;
    const tracked = this.#byConnection.get(connection);
    if (tracked !== undefined && isPair(tracked)) {
      if (tracked[0] === group && tracked[1] === member) this.#byConnection.delete(connection);
    } else if (tracked !== undefined) {
      const i = tracked.findIndex(([g, m]) => g === group && m === member);
      if (i !== -1) tracked.splice(i, 1);
      if (tracked.length === 1) this.#byConnection.set(connection, tracked[0]!);
    }
    this.#queue(['l', group, member, connection]);
    this.#emitAll(changes);
  }

  /** Batch the ops of one tick into one delta: a burst of joins costs one message. */
  #queue(op: PresenceOp): void {
    this.#ops.push(op);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#ops.length === 0 || this.#stopped) return;
    const ops = this.#ops;
    this.#ops = [];
    // The sequence advances even if the send fails: peers see the gap at the
    // next heartbeat and ask for the full state.
    this.#broadcast({ type: DELTA, node: this.#node, seq: ++this.#seq, ops: ops as unknown as LayerMessage[] });
  }

  #broadcast(message: LayerMessage): void {
    this.#layer.groupSend(this.topic, message).catch((e: unknown) => this.#report(e));
  }

  #sendState(to: string): void {
    const message = { type: STATE, node: this.#node, seq: this.#seq, entries: this.#state.entriesOf(this.#node) };
    this.#layer.send(to, message as unknown as LayerMessage).catch((e: unknown) => this.#report(e));
  }

  #askForState(node: string, peer: Peer): void {
    const now = this.#clock();
    if (now - peer.syncAskedAt < this.heartbeatMs) return;
    peer.syncAskedAt = now;
    this.#layer.send(node, { type: SYNC, node: this.#node }).catch((e: unknown) => this.#report(e));
  }

  // ------------------------------------------------------------ incoming

  async #receiveLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!this.#stopped) {
      let message: LayerMessage;
      try {
        message = await this.#layer.receive(this.#node, { signal });
      } catch (error) {
        if (this.#stopped || error instanceof ReceiveAborted || error instanceof LayerClosed) return;
        this.#report(error);
        // A backend outage: wait a little, abandoning the wait on close.
        await delay(RETRY_MS, undefined, { signal, ref: false }).catch(() => undefined);
        continue;
      }
      try {
        this.#handle(message);
      } catch (error) {
        this.#report(error);
      }
    }
  }

  #handle(message: LayerMessage): void {
    if (!isPresenceMessage(message) || message.node === this.#node) return;
    const node = message.node;
    const now = this.#clock();
    let peer = this.#peers.get(node);
    if (message.type === BYE) {
      if (peer !== undefined) this.#dropPeer(node);
      return;
    }
    if (peer === undefined) {
      peer = { seq: -1, lastSeen: now, syncAskedAt: -Infinity };
      this.#peers.set(node, peer);
    }
    peer.lastSeen = now;
    switch (message.type) {
      case HELLO:
        // A newcomer knows nothing yet: it gets our state, and we expect its deltas from 1.
        if (peer.seq === -1) peer.seq = 0;
        this.#sendState(node);
        return;
      case SYNC:
        this.#sendState(node);
        return;
      case HEARTBEAT:
        if (typeof message.seq === 'number' && message.seq > peer.seq) this.#askForState(node, peer);
        return;
      case DELTA:
        this.#applyDelta(node, peer, message);
        return;
      case STATE:
        this.#applyState(node, peer, message);
        return;
    }
  }

  #applyDelta(node: string, peer: Peer, message: PresenceWireMessage): void {
    const seq = message.seq;
    if (typeof seq !== 'number' || seq <= peer.seq || !Array.isArray(message.ops)) return;
    if (seq !== peer.seq + 1) {
      this.#askForState(node, peer);
      return;
    }
    peer.seq = seq;
    const changes: PresenceChange[] = [];
    for (const op of message.ops) {
      if (!isOp(op)) continue;
      if (op[0] === 'j') this.#state.add(node, op[1], op[2], op[3], op[4], op[5], changes);
      else this.#state.remove(node, op[1], op[2], op[3], changes);
    }
    this.#emitAll(changes);
  }

  #applyState(node: string, peer: Peer, message: PresenceWireMessage): void {
    const seq = message.seq;
    if (typeof seq !== 'number' || seq < peer.seq || !Array.isArray(message.entries)) return;
    peer.seq = seq;
    peer.syncAskedAt = -Infinity;
    const changes: PresenceChange[] = [];
    this.#state.replaceNode(node, message.entries.filter(isEntry), changes);
    this.#emitAll(changes);
  }

  #dropPeer(node: string): void {
    this.#peers.delete(node);
    const changes: PresenceChange[] = [];
    this.#state.removeNode(node, changes);
    this.#emitAll(changes);
  }

  // ------------------------------------------------------------ events

  #emitAll(changes: PresenceChange[]): void {
    for (const change of changes) {
      try {
        this.#events.emit(change.kind, change);
      } catch (error) {
        this.#report(error);
      }
    }
  }

  #report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.#events.listenerCount('error') > 0) this.#events.emit('error', err);
    else getLogger().error({ err }, `presence: ${err.message}`);
  }
}
