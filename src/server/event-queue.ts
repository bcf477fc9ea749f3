/**
 * The inbox behind a connection's `receive()`: an array with a moving head
 * and a FIFO of waiting readers. Once finished, the last event is returned
 * to every later reader instead of leaving them pending forever.
 */
export class EventQueue<E> {
  #items: Array<E | undefined> = [];
  #head = 0;
  // Almost always one reader: a slot instead of an array per connection.
  #waiter: ((event: E) => void) | null = null;
  #moreWaiters: Array<(event: E) => void> | null = null;
  #final: E | undefined;

  /** Events queued and not yet read. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** True once `finish()` was called. */
  get finished(): boolean {
    return this.#final !== undefined;
  }

  /** Queues an event (ignored after `finish()`). */
  push(event: E): void {
    if (this.#final !== undefined) return;
    const waiter = this.#waiter;
    if (waiter === null) {
      this.#items.push(event);
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
    if (this.#head < items.length) {
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
}
