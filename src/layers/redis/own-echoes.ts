/**
 * The pub/sub layer's own group sends with history, from send until their
 * echo. Members in the sending process get a history group's messages from
 * the subscription, like every other process's members (only that stream
 * keeps their offsets in order), but need not decode what this process has
 * just encoded: the echo names its send, and only the stamp the script
 * appended is read from it. Nothing depends on an entry being here: an echo
 * without one (evicted, cleared on an outage) is decoded as any other.
 */
import { HISTORY_EPOCH_KEY, HISTORY_OFFSET_KEY } from '../history';
import { extendSealed, type SealedMessage } from '../message';
import { readHistoryStamp } from './codec';

/** Sends awaiting their echo at most; past it the oldest is dropped (its echo is decoded). */
export const OWN_ECHOES_MAX = 4096;

interface PendingEcho {
  readonly group: string;
  readonly sealed: SealedMessage;
  /** Where the stamp starts in the echoed message: the length of the message as sent. */
  readonly stampAt: number;
}

/** Own history sends by tag (carried in the envelope), until their echo comes back. */
export class OwnEchoes {
  readonly #pending = new Map<string, PendingEcho>();
  #next = 0;

  get size(): number {
    return this.#pending.size;
  }

  /** Remember a send of `sealed` (encoded in `length` bytes) to `group`; returns the tag its envelope carries. */
  expect(group: string, sealed: SealedMessage, length: number): string {
    if (this.#pending.size >= OWN_ECHOES_MAX) this.#pending.delete(this.#pending.keys().next().value!);
    const tag = (this.#next++).toString(36);
    this.#pending.set(tag, { group, sealed, stampAt: length });
    return tag;
  }

  /**
   * The message of the echo tagged `tag`, stamped with the offset and epoch
   * read from `body` (the echoed message); undefined when this process no
   * longer holds that send, or the echo does not match it.
   */
  take(tag: string, group: string, body: Uint8Array): SealedMessage | undefined {
    if (tag === '') return undefined;
    const pending = this.#pending.get(tag);
    if (pending === undefined) return undefined;
    this.#pending.delete(tag);
    if (pending.group !== group) return undefined;
    const stamp = readHistoryStamp(body, pending.stampAt);
    if (stamp === undefined) return undefined;
    return extendSealed(pending.sealed, { [HISTORY_OFFSET_KEY]: stamp.offset, [HISTORY_EPOCH_KEY]: stamp.epoch });
  }

  /** A send whose echo will not come (it failed, or nobody here subscribes any more). */
  forget(tag: string): void {
    if (tag !== '') this.#pending.delete(tag);
  }

  /** Forget every send: their echoes may be lost with a subscription. */
  clear(): void {
    this.#pending.clear();
  }
}
