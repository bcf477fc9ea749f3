/**
 * The process-wide instrumentation: plain numeric counters that the hot
 * paths bump (one add per frame, per delivery), read only at scrape time by
 * the Prometheus collectors and the dashboard snapshot. Nothing here imports
 * prom-client, so the server, consumers and layers can call into it whether
 * metrics are on or off; anything costlier than an add (clocks, label
 * bookkeeping, per-connection tags) runs only while `instrumentation.on`.
 */
import { performance } from 'node:perf_hooks';
import { BoundedLabels, PlainHistogram } from './plain-histogram';
import { CONNECTION_TAG, LAYER_STATS } from '../symbols';

/** The protocols a connection can be counted under. */
export type ConnectionProtocol = 'websocket' | 'http' | 'sse' | 'phoenix';

/** Label of connections no URLRouter routed (a plain express app, or a bare consumer). */
export const UNROUTED = '(unrouted)';

/** Where a connection's labels travel through the (shallowly copied) scope; present only while metrics are on. */
export { CONNECTION_TAG };

/** Open connections of one (route, protocol) pair. */
export interface ConnectionGauge {
  readonly route: string;
  readonly protocol: ConnectionProtocol;
  open: number;
}

/** Why a handshake was refused: a fixed set, so the label cannot grow. */
export type RefusalReason =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'busy'
  | 'shutting_down'
  | 'unavailable'
  | 'timeout'
  | 'error'
  | 'client_error'
  | 'server_error';

/** The refusal reason an HTTP status stands for. */
export function refusalReasonOf(status: number): RefusalReason {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 429:
      return 'rate_limited';
    case 500:
      return 'error';
    case 503:
      return 'unavailable';
    case 504:
      return 'timeout';
    default:
      return status < 500 ? 'client_error' : 'server_error';
  }
}

/** Layer operations whose latency is measured. */
export type LayerOperation = 'send' | 'group_send' | 'group_add' | 'group_discard' | 'group_members';
const LAYER_OPERATIONS: readonly LayerOperation[] = ['send', 'group_send', 'group_add', 'group_discard', 'group_members'];

/** Counters of one channel layer, labelled by its registry alias. */
export class LayerStats {
  readonly alias: string;
  groupSends = 0;
  deliveries = 0;
  /** Drops by reason class (see `dropReasonOf`). */
  readonly dropped = new Map<string, number>();
  disconnects = 0;
  reconnects = 0;
  /** Completed outages, in ms. */
  unavailableMs = 0;
  /** When the current outage began (performance.now()), or -1 while up. */
  downSince = -1;
  readonly operations = new Map<LayerOperation, PlainHistogram>(LAYER_OPERATIONS.map((op) => [op, new PlainHistogram()]));

  constructor(alias: string) {
    this.alias = alias;
  }

  /** Milliseconds spent unavailable so far, the current outage included. */
  unavailableMsNow(): number {
    return this.unavailableMs + (this.downSince >= 0 ? performance.now() - this.downSince : 0);
  }

  /** Records one finished operation started at `startedAt` (a performance.now() reading, or -1: not timed). */
  timed(operation: LayerOperation, startedAt: number): void {
    if (startedAt >= 0) (this.operations.get(operation) as PlainHistogram).observe((performance.now() - startedAt) / 1000);
  }

  drop(reason: string, count: number): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
  }
}

/** A bounded label for a layer's free-text drop reason. */
export function dropReasonOf(reason: string): string {
  if (reason === 'channel full') return 'channel_full';
  if (reason.includes('buffer full')) return 'buffer_full';
  if (reason.includes('no process listens')) return 'no_listener';
  if (reason.includes('expir')) return 'expired';
  if (reason.includes('undecodable')) return 'undecodable';
  return 'other';
}

/** Most groups whose local membership is counted; beyond it new groups are not tracked. */
export const MAX_TRACKED_GROUPS = 10_000;

/** Something that can report presence (a PresenceTracker). */
export interface PresenceSource {
  groups(): string[];
  list(group: string): readonly unknown[];
}

/** The process's counters. One instance, `instrumentation`. */
export class Instrumentation {
  /** True while at least one server has metrics or the dashboard on: clocks and tags run. */
  on = false;
  #users = 0;

  // ---- connections
  readonly #connections = new Map<string, ConnectionGauge>();
  /** Handshake outcomes: `accepted`, `abandoned` (client left), or a refusal reason. */
  readonly handshakes = new Map<string, number>();
  /** Open websocket sockets (their wire byte counts are read at scrape time). */
  readonly openSockets = new Set<{ bytesRead: number; bytesWritten: number }>();
  closedBytesRead = 0;
  closedBytesWritten = 0;

  // ---- frames (counted always: one add each)
  messagesIn = 0;
  messagesOut = 0;
  slowClientCloses = 0;
  readonly rateLimitHits = { close: 0, errorFrame: 0 };

  // ---- consumers
  readonly eventTypes = new BoundedLabels(64);
  readonly handlerDurations = new Map<string, PlainHistogram>();
  readonly unhandled = new Map<string, number>();
  /** Local members per group (consumers of this process), while on. */
  readonly groupMembers = new Map<string, number>();

  // ---- layers and presence
  readonly layers = new Map<string, LayerStats>();
  readonly presence = new Set<PresenceSource>();

  /** Turn the costlier measurements on for one more user; returns the function that turns it off again. */
  enable(): () => void {
    this.#users++;
    this.on = true;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#users--;
      if (this.#users === 0) this.on = false;
    };
  }

  /** The gauge of open connections for (`route`, `protocol`), created on first use. */
  connectionGauge(route: string, protocol: ConnectionProtocol): ConnectionGauge {
    const key = `${protocol} ${route}`;
    let gauge = this.#connections.get(key);
    if (gauge === undefined) {
      gauge = { route, protocol, open: 0 };
      this.#connections.set(key, gauge);
    }
    return gauge;
  }

  /** Every (route, protocol) gauge seen so far. */
  connectionGauges(): IterableIterator<ConnectionGauge> {
    return this.#connections.values();
  }

  handshake(outcome: 'accepted' | 'abandoned' | RefusalReason): void {
    this.handshakes.set(outcome, (this.handshakes.get(outcome) ?? 0) + 1);
  }

  /** Wire bytes of every websocket connection so far (the open ones read now). */
  socketBytes(): { read: number; written: number } {
    let read = this.closedBytesRead;
    let written = this.closedBytesWritten;
    for (const socket of this.openSockets) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    return { read, written };
  }

  /** A consumer handler for `type` that started at `startedAt` (performance.now()) has returned. */
  handlerDone(type: string, startedAt: number): void {
    const label = this.eventTypes.labelOf(type);
    let histogram = this.handlerDurations.get(label);
    if (histogram === undefined) this.handlerDurations.set(label, (histogram = new PlainHistogram()));
    histogram.observe((performance.now() - startedAt) / 1000);
  }

  /** An event of `type` found no handler and was dropped. */
  noHandler(type: string): void {
    const label = this.eventTypes.labelOf(type);
    this.unhandled.set(label, (this.unhandled.get(label) ?? 0) + 1);
  }

  groupJoined(group: string): void {
    const count = this.groupMembers.get(group);
    if (count !== undefined) this.groupMembers.set(group, count + 1);
    else if (this.groupMembers.size < MAX_TRACKED_GROUPS) this.groupMembers.set(group, 1);
  }

  groupLeft(group: string): void {
    const count = this.groupMembers.get(group);
    if (count === undefined) return;
    if (count <= 1) this.groupMembers.delete(group);
    else this.groupMembers.set(group, count - 1);
  }

  /** Counters of the layer registered under `alias`. */
  layerStats(alias: string): LayerStats {
    let stats = this.layers.get(alias);
    if (stats === undefined) this.layers.set(alias, (stats = new LayerStats(alias)));
    return stats;
  }
}

/** The one instance the hot paths bump. */
export const instrumentation = new Instrumentation();

/** Where a channel layer carries its LayerStats (set by the registry for every layer it hands out). */
export { LAYER_STATS };

/** The stats of a layer the registry handed out, else undefined. */
export function layerStatsOf(layer: object | null): LayerStats | undefined {
  return layer === null ? undefined : (layer as Record<symbol, LayerStats | undefined>)[LAYER_STATS];
}

/** What attachLayerStats needs of a layer: its events. */
interface EventSource {
  on(event: 'dropped', listener: (info: { count: number; reason: string }) => void): unknown;
  on(event: 'disconnected', listener: (error: Error) => void): unknown;
  on(event: 'reconnected', listener: () => void): unknown;
}

/** Count `layer`'s operations, drops and outages under `alias` (called by the registry when it creates a layer). */
export function attachLayerStats(alias: string, layer: EventSource): void {
  if ((layer as unknown as Record<symbol, unknown>)[LAYER_STATS] !== undefined) return;
  const stats = instrumentation.layerStats(alias);
  stats.downSince = -1;
  (layer as unknown as Record<symbol, unknown>)[LAYER_STATS] = stats;
  if (typeof (layer as { on?: unknown }).on !== 'function') return;
  layer.on('dropped', (info) => stats.drop(dropReasonOf(String(info.reason)), Number(info.count) || 0));
  layer.on('disconnected', () => {
    stats.disconnects++;
    if (stats.downSince < 0) stats.downSince = performance.now();
  });
  layer.on('reconnected', () => {
    stats.reconnects++;
    if (stats.downSince >= 0) stats.unavailableMs += performance.now() - stats.downSince;
    stats.downSince = -1;
  });
}
