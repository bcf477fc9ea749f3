/**
 * switchyard-channels/client: recovery for phoenix.js channels. Structural
 * types, so the `phoenix` package's own types are not required.
 */

/** A position in a topic's history. */
export interface HistoryPosition {
  offset: number;
  epoch: string;
}

/** The phoenix.js Push methods used here. */
export interface PushLike {
  receive(status: string, callback: (response?: any) => any): this;
}

/** The phoenix.js Channel members used here. */
export interface ChannelLike {
  join(timeout?: number): PushLike;
  leave(timeout?: number): PushLike;
  onMessage: (event: string, payload: any, ref: any, joinRef?: any) => any;
}

/** The phoenix.js Socket member used here. */
export interface SocketLike<C extends ChannelLike = ChannelLike> {
  channel(topic: string, params?: object | (() => object)): C;
}

/** What `onJoin` callbacks get after every successful join. */
export interface JoinOutcome {
  /** False: messages were lost (new epoch, or a gap longer than history); refetch the state. Also false when the server sent no recovery fields. */
  recovered: boolean;
  /** The topic's epoch (null when the server sent none). */
  epoch: string | null;
  /** The topic's latest offset when the join read its history (null when the server sent none). */
  offset: number | null;
  /** True for every join after the first (phoenix.js rejoined after a reconnect or an error). */
  rejoin: boolean;
  /** The whole join reply response. */
  response: any;
}

/** Options of RecoveringChannel. */
export interface RecoveringChannelOptions {
  /** Start from this position (e.g. kept across page loads); default none (a newcomer). */
  since?: HistoryPosition | null;
}

/** A phoenix.js channel whose joins carry `since` and report `recovered`. */
export declare class RecoveringChannel<C extends ChannelLike = ChannelLike> {
  constructor(socket: SocketLike<C>, topic: string, params?: object | (() => object), options?: RecoveringChannelOptions);
  readonly topic: string;
  /** The phoenix.js Channel. */
  readonly channel: C;
  /** The last position handled, or null: the next join's `since`. */
  readonly position: HistoryPosition | null;
  /** Whether the latest join recovered; null before the first join reply. */
  readonly recovered: boolean | null;
  /** Join once; phoenix.js rejoins after reconnects with the position of the moment. */
  join(timeout?: number): PushLike;
  /** Called after every successful join; returns a remover. */
  onJoin(callback: (outcome: JoinOutcome) => void): () => void;
  leave(timeout?: number): PushLike;
}

/** A RecoveringChannel joined at once. */
export declare function recoveringChannel<C extends ChannelLike = ChannelLike>(
  socket: SocketLike<C>,
  topic: string,
  params?: object | (() => object),
  options?: RecoveringChannelOptions & { onJoin?: (outcome: JoinOutcome) => void; timeout?: number },
): RecoveringChannel<C>;
