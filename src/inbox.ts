/**
 * The inbox behind a connection's `receive()`, part of the application
 * contract: the server and the test communicators both feed one, so a
 * consumer takes its client events the same way under test as in production.
 *
 * An array with a moving head and a FIFO of waiting readers. Once finished,
 * the last event is returned to every later reader instead of leaving them
 * pending forever.
 *
 * A reader that lives as long as the connection (a consumer) may instead
 * take the events by push (`listen`, reached through `listenToInbox`): a
 * `receive()` loop keeps a suspended async frame, a pending promise and its
 * resolver alive per idle connection; a listener is one shared function.
 * The listener reports each event handled (`consumed`), which is the one
 * backpressure signal: the owner pauses its client while `size` is high.
 */
import { INBOX } from './symbols';

/** Called with each event pushed to a listening queue, and the object it was registered for. Must not throw. */
export type EventDelivery<E, T> = (target: T, event: E) => void;

/** Told, with the queue's owner, each time a listener reports an event handled (see `consumed`). */
export type ConsumedHook = (owner: any, backlog: number) => void;


export class EventQueue<E> {
  // Created on the first event that has to wait: a listening queue never needs it.
  #items: Array<E | undefined> | null = null;
  #head = 0;
  // Readers waiting in `next()`: almost always one, held as is rather than in an array.
  #waiting: ((event: E) => void) | Array<(event: E) => void> | null = null;
  #final: E | undefined;
  #deliver: EventDelivery<E, any> | null = null;
  #target: unknown = null;
  // Pushed to the listener and not yet reported handled: what `size` means while listening,
  // so the owner's backpressure (pause reading past a bound) holds for push delivery too.
  #unhandled = 0;
  #onConsumed: ConsumedHook | null = null;
  #owner: unknown = null;

  /**
   * @param onConsumed called (with `owner`) whenever a listener reports an event
   *   handled, so the owner can resume reading once the backlog is small again
   */
  constructor(onConsumed: ConsumedHook | null = null, owner: unknown = null) {
    this.#onConsumed = onConsumed;
    this.#owner = owner;
  }

  /** Events queued and not yet read. */
  get size(): number {
    if (this.#deliver !== null) return this.#unhandled;
    return this.#items === null ? 0 : this.#items.length - this.#head;
  }

  /**
   * A listener reports one pushed event handled (call it once per event it
   * took off its own backlog; events dropped at the end need no report).
   */
  consumed(): void {
    if (this.#unhandled === 0) return;
    this.#unhandled--;
    this.#onConsumed?.(this.#owner, this.#unhandled);
  }

  /**
   * The listener stops taking events (its consumer ended): later ones wait
   * for `next()`. The target is kept, to name who owned the connection.
   */
  detach(): void {
    this.#deliver = null;
    this.#unhandled = 0;
  }

  /** The listener's target (a consumer taking events by push), else null: names who owes an accept. */
  get reader(): unknown {
    // Through a middleware's relay (filterInbox): whoever reads the relayed inbox.
    return this.#target instanceof InboxRelay ? this.#target.reader : this.#target;
  }

  /** True once `finish()` was called. */
  get finished(): boolean {
    return this.#final !== undefined;
  }

  /** Queues an event (ignored after `finish()`). */
  push(event: E): void {
    if (this.#final !== undefined) return;
    if (this.#deliver !== null) {
      this.#unhandled++;
      this.#deliver(this.#target, event);
      return;
    }
    const waiting = this.#waiting;
    if (waiting === null) {
      (this.#items ??= []).push(event);
      return;
    }
    let waiter: (event: E) => void;
    if (typeof waiting === 'function') {
      waiter = waiting;
      this.#waiting = null;
    } else {
      waiter = waiting.shift()!;
      if (waiting.length === 0) this.#waiting = null;
    }
    waiter(event);
  }

  /** Queues `event` as the last one; readers after it get it again. */
  finish(event: E): void {
    if (this.#final !== undefined) return;
    this.push(event);
    this.#final = event;
    // Extra concurrent readers would otherwise wait forever.
    const waiting = this.#waiting;
    this.#waiting = null;
    if (typeof waiting === 'function') waiting(event);
    else if (waiting !== null) for (const waiter of waiting) waiter(event);
  }

  /** The next event, waiting for one if none is queued. */
  next(): Promise<E> {
    const items = this.#items;
    if (items !== null && this.#head < items.length) {
      const event = items[this.#head] as E;
      items[this.#head++] = undefined;
      if (this.#head === items.length) {
        items.length = 0;
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
        this.#items = items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve(event);
    }
    if (this.#final !== undefined) return Promise.resolve(this.#final);
    return new Promise<E>((resolve) => {
      const waiting = this.#waiting;
      if (waiting === null) this.#waiting = resolve;
      else if (typeof waiting === 'function') this.#waiting = [waiting, resolve];
      else waiting.push(resolve);
    });
  }

  /**
   * Push delivery to the one reader from now on: the queued events at once
   * (synchronously, oldest first; the final event again if the queue is
   * finished and empty), then every event as it is pushed, including the
   * final one. `deliver` is called with `target`, so it can be one shared
   * function instead of a closure per reader. False when the queue already
   * has a listener or a pending `next()`: keep reading with `next()` then.
   */
  listen<T>(deliver: EventDelivery<E, T>, target: T): boolean {
    if (this.#deliver !== null || this.#waiting !== null) return false;
    if (this.size === 0 && this.#final !== undefined) deliver(target, this.#final);
    // A delivery may push more events: they queue until the backlog is out, so order holds.
    for (let items = this.#items; items !== null; items = this.#items) {
      const head = this.#head;
      this.#items = null;
      this.#head = 0;
      this.#unhandled += items.length - head;
      for (let i = head; i < items.length; i++) deliver(target, items[i] as E);
    }
    this.#deliver = deliver;
    this.#target = target;
    return true;
  }
}

/**
 * Decides what becomes of one event on its way through a middleware: pass it
 * on with `inner.push` (or end the inner inbox with `inner.finish`) and return
 * true, or return false to drop it (it then counts as handled at once, so the
 * connection's backpressure is not held up by it). Must not throw.
 */
export type InboxFilter<E, S> = (state: S, event: E, inner: EventQueue<E>) => boolean;

/**
 * A middleware's filter between the inbox behind its `receive` (outer) and
 * the one its inner application reads: the relay itself, so one object per
 * connection (not a relay and a second queue) and shared functions, no
 * closures. Fed by push only when the inner application takes events by
 * push (`listenToInbox`).
 */
class InboxRelay<E> extends EventQueue<E> {
  constructor(
    readonly outer: EventQueue<E>,
    readonly filter: InboxFilter<E, any>,
    readonly state: unknown,
  ) {
    super(InboxRelay.forwardConsumed, outer);
  }

  /** Push from the outer inbox from now on; false when it already has a reader (then pull). */
  start(): boolean {
    return this.outer.listen(InboxRelay.deliver, this);
  }

  static deliver(relay: InboxRelay<any>, event: unknown): void {
    if (!relay.filter(relay.state, event, relay)) relay.outer.consumed();
  }

  /** The inner reader handled an event it was passed: so, for the outer inbox, has the relay. */
  static forwardConsumed(outer: EventQueue<any>): void {
    outer.consumed();
  }
}

/**
 * For a middleware that filters client events (RateLimitMiddleware): the
 * `receive` to give its inner application. A consumer behind it still takes
 * its events by push from the connection's inbox, through `filter` (no
 * suspended read loop per idle connection), and still pauses a client that
 * floods it (each event it handles is reported through). Anything else
 * calling the returned `receive()` pulls: each event read from `receive` goes
 * through `filter` until one is passed. Null when `receive` is not a marked
 * inbox (another middleware wraps it): the middleware wraps it as a pulled
 * `receive` itself then.
 */
export function filterInbox<E, S>(receive: () => Promise<E>, filter: InboxFilter<E, S>, state: S): (() => Promise<E>) | null {
  const outer = (receive as unknown as Record<symbol, unknown>)[INBOX];
  if (!(outer instanceof EventQueue)) return null;
  const relay = new InboxRelay<E>(outer as EventQueue<E>, filter, state);
  const pull = async (): Promise<E> => {
    while (relay.size === 0 && !relay.finished) {
      const event = await receive();
      filter(state, event, relay);
    }
    return relay.next();
  };
  (pull as unknown as Record<symbol, InboxRelay<E>>)[INBOX] = relay;
  return pull;
}

/** Marks `receive` as the reader of `queue`, so that `listenToInbox(receive, ...)` can take its events by push. */
export function markInbox<F extends Function>(receive: F, queue: EventQueue<any>): F {
  (receive as unknown as Record<symbol, EventQueue<any>>)[INBOX] = queue;
  return receive;
}

/**
 * Start push delivery (`EventQueue.listen`) from the queue behind `receive`,
 * and return that queue: the reader reports each event it has handled with
 * `consumed()`, which is what lets the owner stop reading a client that
 * sends faster than the reader handles. Null when `receive` is not a marked
 * reader (a test communicator, a middleware that wraps it, ...) or the queue
 * cannot push to this reader: keep calling `receive()` then.
 */
export function listenToInbox<E, T>(receive: unknown, deliver: EventDelivery<E, T>, target: T): EventQueue<E> | null {
  const marked = typeof receive === 'function' ? (receive as unknown as Record<symbol, unknown>)[INBOX] : undefined;
  // A relay is started here, so that one pulled instead never has an outer inbox pushing into it.
  if (marked instanceof InboxRelay && !marked.start()) return null;
  return marked instanceof EventQueue && marked.listen(deliver as EventDelivery<unknown, T>, target) ? (marked as EventQueue<E>) : null;
}

/** True when `receive` reads an inbox a consumer can take its events from by push (the server's and the communicators' do). */
export function hasInbox(receive: unknown): boolean {
  if (typeof receive !== 'function') return false;
  const marked = (receive as unknown as Record<symbol, unknown>)[INBOX];
  return marked instanceof EventQueue;
}
