/**
 * The ChannelLayer contract: what every backend (memory, Redis core, Redis
 * pub/sub) implements, and what the shared conformance suite in
 * tests/contract/ checks. Semantics follow Django Channels: at-most-once
 * delivery, FIFO per channel for one reader, senders never block.
 */

import type { GroupHistory, GroupHistoryOptions, HistoryPatterns } from './history';

/** Binary values a message may carry. */
export type Binary = Uint8Array;

/** A value allowed inside a layer message: plain data only. */
export type MessageValue =
  | string
  | number
  | boolean
  | null
  | Binary
  | readonly MessageValue[]
  | { readonly [key: string]: MessageValue };

/**
 * Maps an event type to its payload (without `type`). Consumers declare one as
 * a type parameter so that `send`/`groupSend` and handlers are checked.
 *
 * @example
 * type ChatEvents = { 'chat.message': { message: string; user: string } };
 */
// Values are `any`, not `object`: only an `any` index signature accepts an
// interface (interfaces have no implicit index signature). A non-object
// payload still fails where it is used: `{ type: K } & 5` admits no message.
export type EventMap = { [type: string]: any };

/** The permissive default: any `type`, any fields. */
export type AnyEventMap = { [type: string]: { [key: string]: unknown } };

/** The message union an event map describes: `{ type: K } & payload` for each K. */
export type MessageOf<M extends EventMap> = {
  [K in keyof M & string]: { type: K } & M[K];
}[keyof M & string];

/** Any layer message: a string `type` plus plain data. */
export interface LayerMessage {
  type: string;
  [key: string]: unknown;
}

/** Options for `receive`. */
export interface ReceiveOptions {
  /** Abandons the wait; the promise rejects with ReceiveAborted. */
  signal?: AbortSignal;
}

/** What a group send reports. */
export interface GroupSendResult {
  /**
   * Members skipped because their channel was full (or, for remote members,
   * as far as this layer can observe; see each backend's docs).
   */
  dropped: number;
  /** For a group with history: the offset the message was stored at. */
  offset?: number;
  /** For a group with history: the epoch of that offset. */
  epoch?: string;
  /** True when the backend was unavailable and the send waits in the outage buffer (see `outageBuffer`). */
  buffered?: boolean;
}

/** What a bulk direct send reports. */
export interface SendManyResult {
  /** Messages queued. */
  sent: number;
  /** Channels that were full; their message was not queued. */
  full: string[];
}

/** Events a layer emits (see `on`). */
export interface ChannelLayerEvents {
  /** The backend connection was lost. */
  disconnected: [error: Error];
  /** The backend is back and subscriptions/memberships were restored. */
  reconnected: [];
  /** Messages dropped after being accepted (e.g. a full local buffer, an outage). */
  dropped: [info: { channel?: string; group?: string; count: number; reason: string }];
}

/**
 * A channel layer. Channel names match `^[a-zA-Z\d\-_.]+(![\d\w\-_.]*)?$`,
 * group names `^[a-zA-Z\d\-_.]+$`, both under 100 characters. A `!` marks a
 * process-local channel made by `newChannel()`.
 *
 * `M` types the messages: the default accepts any `type` and fields.
 */
export interface ChannelLayer<M extends EventMap = AnyEventMap> {
  /** Optional capabilities, e.g. `['groups', 'flush']`. */
  readonly extensions: readonly string[];

  /** Queue a message on a channel. Throws ChannelFull at capacity, InvalidMessage for non-plain data. */
  send(channel: string, message: MessageOf<M>): Promise<void>;
  /** Queue several messages; never throws for a full channel, reports it. */
  sendMany(entries: Iterable<readonly [channel: string, message: MessageOf<M>]>): Promise<SendManyResult>;
  /** Wait for the next message on a channel. One reader per channel. */
  receive(channel: string, options?: ReceiveOptions): Promise<MessageOf<M>>;
  /** A fresh process-local channel name: `<prefix>.<process id>!<random>`. */
  newChannel(prefix?: string): Promise<string>;

  /** Add a channel to a group (refreshing its membership expiry). */
  groupAdd(group: string, channel: string): Promise<void>;
  /** Remove a channel from a group; removing a non-member is not an error. */
  groupDiscard(group: string, channel: string): Promise<void>;
  /** Send to every member once; a full member is skipped and counted, never thrown. */
  groupSend(group: string, message: MessageOf<M>): Promise<GroupSendResult>;
  /** Several group sends in one call. */
  groupSendMany(entries: Iterable<readonly [group: string, message: MessageOf<M>]>): Promise<GroupSendResult>;
  /** The group's current (unexpired) members, in no particular order. */
  groupMembers(group: string): Promise<string[]>;
  /**
   * The retained history of a group that keeps one (see the `history`
   * option); throws HistoryNotEnabled for any other group.
   */
  groupHistory(group: string, options?: GroupHistoryOptions): Promise<GroupHistory<MessageOf<M>>>;

  /** Drop every channel, message and group this layer stores (tests, resets). */
  flush(): Promise<void>;
  /** Release connections and timers; pending receives reject with LayerClosed. */
  close(): Promise<void>;

  on<E extends keyof ChannelLayerEvents>(event: E, listener: (...args: ChannelLayerEvents[E]) => void): this;
  off<E extends keyof ChannelLayerEvents>(event: E, listener: (...args: ChannelLayerEvents[E]) => void): this;
}

/** Defaults shared by every backend, as in channels_redis. */
export const LAYER_DEFAULTS = {
  /** Seconds a message may wait in a channel before it is discarded. */
  expiry: 60,
  /** Seconds a group membership lasts after the last groupAdd. */
  groupExpiry: 86_400,
  /** Messages a channel holds before send throws ChannelFull. */
  capacity: 100,
} as const;

/** Options every backend accepts. */
export interface ChannelLayerOptions {
  /** Seconds a queued message lives. Default 60. */
  expiry?: number;
  /** Seconds a group membership lives after the last groupAdd. Default 86400. */
  groupExpiry?: number;
  /** Default per-channel capacity. Default 100. */
  capacity?: number;
  /**
   * Per-channel capacity overrides, first match wins: glob strings (`*` any
   * run, `?` one character) or RegExps, tested against the channel name.
   * @example { 'http.request': 200, 'websocket.send*': 20 } or [[/^bulk\./, 1000]]
   */
  channelCapacity?: Record<string, number> | Array<readonly [pattern: string | RegExp, capacity: number]>;
  /**
   * Current time in milliseconds, used for message and membership expiry.
   * Default `Date.now`. Tests inject a fake clock to check expiry without waiting.
   */
  clock?: () => number;
  /**
   * Groups that keep a history of their messages, by name pattern, first
   * match wins (globs or RegExps): each `groupSend` to such a group is stored
   * with an offset and stamped with `__offset__`/`__epoch__` for its members.
   * Default none.
   * @example [['chat_*', { size: 100, ttl: 300 }]]
   */
  history?: HistoryPatterns;
  /**
   * Keep sends made while the backend is unavailable in a bounded per-process
   * buffer and flush them in order after reconnection, instead of failing
   * them. A send that finds the buffer full fails with LayerUnavailable.
   * Default off.
   */
  outageBuffer?: OutageBufferOptions;
}

/** Options of the outage buffer. */
export interface OutageBufferOptions {
  /** Sends held at most; one more fails with LayerUnavailable. */
  size: number;
  /** Seconds a held send may wait; older ones are dropped (a `'dropped'` event) at flush. Default: the layer's `expiry`. */
  maxAge?: number;
}
