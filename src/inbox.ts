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
  // Almost always one reader: a slot instead of an array per connection.
  #waiter: ((event: E) => void) | null = null;
  #moreWaiters: Array<(event: E) => void> | null = null;
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
    return this.#target;
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
    const waiter = this.#waiter;
    if (waiter === null) {
      (this.#items ??= []).push(event);
      return;
    }
    this.#waiter = this.#moreWaiters?.shift() ?? null;
    waiter(event);
  }

  /** Queues `event` as the last one; readers after it get it again. */
  finish(event: E): void {
    if (this.#final !== undefined) return;
    this.push(event);
    this.#final = event;
    // Extra concurrent readers would otherwise wait forever.
    const waiters = this.#waiter === null ? [] : [this.#waiter, ...(this.#moreWaiters ?? [])];
    this.#waiter = null;
    this.#moreWaiters = null;
    for (const waiter of waiters) waiter(event);
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
      if (this.#waiter === null) this.#waiter = resolve;
      else (this.#moreWaiters ??= []).push(resolve);
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
    if (this.#deliver !== null || this.#waiter !== null) return false;
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
  const queue = typeof receive === 'function' ? (receive as unknown as Record<symbol, unknown>)[INBOX] : undefined;
  return queue instanceof EventQueue && queue.listen(deliver as EventDelivery<unknown, T>, target) ? (queue as EventQueue<E>) : null;
}

/** True when `receive` reads an inbox a consumer can take its events from by push (the server's and the communicators' do). */
export function hasInbox(receive: unknown): boolean {
  return typeof receive === 'function' && (receive as unknown as Record<symbol, unknown>)[INBOX] instanceof EventQueue;
}
