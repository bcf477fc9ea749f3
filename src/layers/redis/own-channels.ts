/**
 * The core layer's own channels: process-local names made by this layer
 * instance's newChannel() (`<prefix>.<token>!<suffix>`). Only this instance
 * pops their queue (`<prefix>.<token>!`), so a send to them can go straight
 * into its mailbox instead of through Redis and back (the local fast path;
 * docs/redis.md says what it keeps and what order it guarantees).
 */
import { nonLocalName } from '../names';

/** True when `channel` is `<prefix>.<token>!<suffix>`, a channel of the instance whose token is `token`. */
export function isOwnChannel(channel: string, token: string): boolean {
  const bang = channel.indexOf('!');
  const start = bang - token.length;
  // Index checks instead of a slice: this runs once per member of every group send.
  return start > 0 && channel.charCodeAt(start - 1) === 0x2e && channel.startsWith(token, start);
}

/** A group's members split into those served locally and the rest, by destination queue. */
export interface SplitMembers {
  /** Own channels served here: delivered into the local mailbox. */
  own: string[];
  /** Every other member, keyed by its queue (non-local name): pushed through Redis. */
  queues: Map<string, string[]>;
}

/**
 * Split `members` into own channels that `serveHere` accepts and the others
 * grouped by queue (one copy per queue).
 */
export function splitMembers(members: readonly string[], token: string, serveHere: (channel: string) => boolean): SplitMembers {
  const own: string[] = [];
  const queues = new Map<string, string[]>();
  for (const channel of members) {
    if (isOwnChannel(channel, token) && serveHere(channel)) {
      own.push(channel);
      continue;
    }
    const name = nonLocalName(channel);
    const list = queues.get(name);
    if (list === undefined) queues.set(name, [channel]);
    else list.push(channel);
  }
  return { own, queues };
}

/**
 * Own queues that hold a message this instance pushed through Redis and has
 * not popped back yet. While one does, sends to its channels keep going
 * through Redis too, so they cannot overtake it (per-sender order): the
 * queue is a sorted set by send time and this instance's scores only grow.
 * A queue is clear again once a pop from its server reaches that score.
 */
export class OwnQueuesInRedis {
  readonly #latest = new Map<string, number>();

  /** True when no own queue holds one of our pushes (the common case, checked first). */
  get empty(): boolean {
    return this.#latest.size === 0;
  }

  /** True when queue `name` (non-local name) may still hold one of our pushes. */
  has(name: string): boolean {
    return this.#latest.has(name);
  }

  /** A push to own queue `name` scored `score` was accepted. */
  pushed(name: string, score: number): void {
    const latest = this.#latest.get(name);
    if (latest === undefined || score > latest) this.#latest.set(name, score);
  }

  /** Members of queue `name` up to `score` were popped (from the server our pushes go to). */
  popped(name: string, score: number): void {
    const latest = this.#latest.get(name);
    if (latest !== undefined && score >= latest) this.#latest.delete(name);
  }

  /** Forget every queue (flush: Redis was emptied). */
  clear(): void {
    this.#latest.clear();
  }
}
