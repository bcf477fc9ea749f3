/**
 * Group sends with history issued in one event-loop turn, gathered per
 * server and stored and published by one script call (PUBLISH_HISTORY_BATCH):
 * most of a single call's cost in Redis is per call (dispatch, arguments,
 * reply), not per message. Each send is still appended and published exactly
 * as alone, in the order issued, and settles with its own result; a call that
 * fails rejects each send of it with the error a single call gets.
 */
import type { ResolvedRetention } from '../history';
import { nodeRedis } from './redis-peer';

/** Sends per script call at most. */
export const HISTORY_BATCH_MESSAGES = 64;
/** Message bytes per script call at most (a call reaching it is sent at once). */
export const HISTORY_BATCH_BYTES = 64 * 1024;

/** One group send with history, as PUBLISH_HISTORY_BATCH takes it. */
export interface HistoryAppend {
  /** The group: which server the send goes to. */
  readonly route: string;
  /** Stream, meta (the stream's hash tag is the group's topic) and named-member keys. */
  readonly keys: readonly [string, string, string];
  readonly retention: ResolvedRetention;
  /** The envelope header the message is published behind. */
  readonly header: Buffer;
  /** The message map, its header counting the stamp's two entries. */
  readonly message: Buffer;
}

/** What a stored and published send comes back with. */
export interface StoredSend {
  readonly offset: number;
  readonly epoch: string;
  /** The group's named (non-process-local) members, to push the message to. */
  readonly named: readonly string[];
}

/** Stores and publishes `appends` (in this order, all routed to one server); resolves with 3 values per append (see PUBLISH_HISTORY_BATCH). */
export type FlushAppends = (appends: readonly HistoryAppend[]) => Promise<unknown[]>;

interface Pending {
  readonly append: HistoryAppend;
  readonly resolve: (stored: StoredSend) => void;
  readonly reject: (error: unknown) => void;
}

interface Batch {
  readonly entries: Pending[];
  bytes: number;
}

/** Per-server batches of history appends, flushed at the end of the turn (or when full). */
export class HistoryBatcher {
  readonly #flush: FlushAppends;
  readonly #batches = new Map<number, Batch>();
  #scheduled: NodeJS.Immediate | null = null;

  constructor(flush: FlushAppends) {
    this.#flush = flush;
  }

  /** Queue an append for server `index`; resolves once it is stored and published. */
  add(index: number, append: HistoryAppend): Promise<StoredSend> {
    return new Promise((resolve, reject) => {
      let batch = this.#batches.get(index);
      if (batch === undefined) this.#batches.set(index, (batch = { entries: [], bytes: 0 }));
      batch.entries.push({ append, resolve, reject });
      batch.bytes += append.message.length;
      if (batch.entries.length >= HISTORY_BATCH_MESSAGES || batch.bytes >= HISTORY_BATCH_BYTES) this.#send(index, batch);
      else this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /**
   * Send every waiting batch now. Callers issuing another command that must
   * reach Redis after these sends (a send without history) call this first,
   * so the sender's order holds on the connection.
   */
  flush(): void {
    if (this.#scheduled === null) return;
    clearImmediate(this.#scheduled);
    this.#scheduled = null;
    for (const [index, batch] of [...this.#batches]) this.#send(index, batch);
  }

  #send(index: number, batch: Batch): void {
    this.#batches.delete(index);
    const { entries } = batch;
    this.#flush(entries.map((entry) => entry.append)).then(
      (reply) => {
        entries.forEach((entry, i) => {
          const offset = Number(reply[3 * i]);
          const epoch = String(reply[3 * i + 1]);
          const named = reply[3 * i + 2];
          // Offsets start at 1: 0 marks an append the script refused, with the server's message.
          if (offset === 0) entry.reject(new (nodeRedis().SimpleError)(epoch));
          else if (!Array.isArray(named)) entry.reject(new (nodeRedis().SimpleError)(String(named)));
          else entry.resolve({ offset, epoch, named: named as string[] });
        });
      },
      (error: unknown) => {
        for (const entry of entries) entry.reject(error);
      },
    );
  }
}
