import { EventQueue, filterInbox, hasInbox, listenToInbox, markInbox } from '../../src/inbox';

describe('EventQueue', () => {
  it('hands out queued events in order, then waits for the next push', async () => {
    const queue = new EventQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(queue.size).toBe(2);
    expect(await queue.next()).toBe(1);
    expect(await queue.next()).toBe(2);
    const waiting = queue.next();
    queue.push(3);
    expect(await waiting).toBe(3);
    expect(queue.size).toBe(0);
  });

  it('serves concurrent readers first come, first served', async () => {
    const queue = new EventQueue<string>();
    const first = queue.next();
    const second = queue.next();
    queue.push('a');
    queue.push('b');
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
  });

  it('after finish, drains what is queued and then repeats the final event forever', async () => {
    const queue = new EventQueue<string>();
    queue.push('msg');
    queue.finish('bye');
    queue.push('ignored');
    expect(queue.finished).toBe(true);
    expect(await queue.next()).toBe('msg');
    expect(await queue.next()).toBe('bye');
    expect(await queue.next()).toBe('bye');
  });

  it('finish releases every pending reader', async () => {
    const queue = new EventQueue<string>();
    const readers = [queue.next(), queue.next(), queue.next()];
    queue.finish('bye');
    expect(await Promise.all(readers)).toEqual(['bye', 'bye', 'bye']);
  });

  it('keeps order across compaction of a long backlog', async () => {
    const queue = new EventQueue<number>();
    for (let i = 0; i < 5000; i++) queue.push(i);
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) out.push(await queue.next());
    for (let i = 5000; i < 6000; i++) queue.push(i);
    while (queue.size > 0) out.push(await queue.next());
    expect(out).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });
});

describe('EventQueue push delivery', () => {
  const collect = (out: string[], event: string): void => {
    out.push(event);
  };

  it('listen delivers the backlog at once, then every push, then the final event', () => {
    const queue = new EventQueue<string>();
    queue.push('a');
    queue.push('b');
    const out: string[] = [];
    expect(queue.listen(collect, out)).toBe(true);
    expect(out).toEqual(['a', 'b']);
    expect(queue.size).toBe(2); // delivered, not yet reported consumed
    queue.push('c');
    queue.finish('bye');
    queue.push('ignored');
    expect(out).toEqual(['a', 'b', 'c', 'bye']);
  });

  it('a listener after finish on an empty queue gets the final event again', async () => {
    const queue = new EventQueue<string>();
    queue.finish('bye');
    expect(await queue.next()).toBe('bye');
    const out: string[] = [];
    expect(queue.listen(collect, out)).toBe(true);
    expect(out).toEqual(['bye']);
  });

  it('keeps order when a delivery pushes more events', () => {
    const queue = new EventQueue<string>();
    queue.push('a');
    queue.push('b');
    const out: string[] = [];
    queue.listen((target: string[], event: string) => {
      target.push(event);
      if (event === 'a') queue.push('c');
    }, out);
    expect(out).toEqual(['a', 'b', 'c']);
  });

  it('refuses a second listener and a listener while a reader waits', async () => {
    const waited = new EventQueue<string>();
    const pending = waited.next();
    expect(waited.listen(collect, [])).toBe(false);
    waited.push('x');
    expect(await pending).toBe('x');

    const queue = new EventQueue<string>();
    expect(queue.listen(collect, [])).toBe(true);
    expect(queue.listen(collect, [])).toBe(false);
  });

  it('listenToInbox only takes over a receive function marked as the queue reader', async () => {
    const queue = new EventQueue<string>();
    queue.push('a');
    const receive = markInbox(() => queue.next(), queue);
    const wrapped = () => receive();
    const out: string[] = [];
    expect(listenToInbox(wrapped, collect, out)).toBeNull();
    expect(listenToInbox(undefined, collect, out)).toBeNull();
    expect(out).toEqual([]);
    expect(listenToInbox(receive, collect, out)).toBe(queue);
    expect(out).toEqual(['a']);
  });

  it('while listening, size counts events pushed and not yet reported consumed, and tells the owner', () => {
    const owner = { reports: [] as number[] };
    const queue = new EventQueue<string>((o: typeof owner, backlog) => o.reports.push(backlog), owner);
    queue.push('a');
    const out: string[] = [];
    queue.listen(collect, out);
    queue.push('b');
    queue.push('c');
    expect(out).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(3);
    queue.consumed();
    queue.consumed();
    expect(queue.size).toBe(1);
    expect(owner.reports).toEqual([2, 1]);
    queue.consumed();
    queue.consumed(); // more reports than events: ignored
    expect(queue.size).toBe(0);
    expect(owner.reports).toEqual([2, 1, 0]);
  });
});

describe('filterInbox (a middleware filtering the client inbox)', () => {
  // Passes even numbers, drops odd ones, ends the inner inbox at 100.
  const evens = (seen: number[], event: number, inner: EventQueue<number>): boolean => {
    seen.push(event);
    if (event === 100) {
      inner.finish(-1);
      return true;
    }
    if (event % 2 !== 0) return false;
    inner.push(event);
    return true;
  };

  it('feeds a listening reader by push through the filter, reporting handled and dropped events to the outer inbox', () => {
    const resumed: number[] = [];
    const outer = new EventQueue<number>((_owner, backlog) => resumed.push(backlog), null);
    const receive = markInbox(() => outer.next(), outer);
    outer.push(0);
    const seen: number[] = [];
    const filtered = filterInbox(receive, evens, seen)!;
    expect(hasInbox(filtered)).toBe(true);
    expect(seen).toEqual([]); // nothing moves until the inner reader listens
    const got: number[] = [];
    const inner = listenToInbox<number, number[]>(filtered, (target, event) => target.push(event), got)!;
    expect(inner).not.toBeNull();
    outer.push(1);
    outer.push(2);
    expect(got).toEqual([0, 2]);
    expect(seen).toEqual([0, 1, 2]);
    // The dropped 1 counted as handled at once; 0 and 2 wait for the reader.
    expect(outer.size).toBe(2);
    inner.consumed();
    inner.consumed();
    expect(outer.size).toBe(0);
    expect(resumed).toEqual([1, 1, 0]); // after the drop, then after each handled event
  });

  it('names the inner reader as the outer inbox reader', () => {
    const outer = new EventQueue<number>();
    const filtered = filterInbox(markInbox(() => outer.next(), outer), evens, []);
    const reader = { name: 'consumer' };
    listenToInbox(filtered, () => undefined, reader);
    expect(outer.reader).toBe(reader);
  });

  it('after the filter finishes the inner inbox, later events are ignored and the final one stays', async () => {
    const outer = new EventQueue<number>();
    const filtered = filterInbox(markInbox(() => outer.next(), outer), evens, [])!;
    const got: number[] = [];
    listenToInbox<number, number[]>(filtered, (target, event) => target.push(event), got);
    outer.push(100);
    outer.push(4);
    expect(got).toEqual([-1]);
    expect(await filtered()).toBe(-1);
  });

  it('a reader that pulls gets the filtered events, and the outer inbox empties as it reads', async () => {
    const outer = new EventQueue<number>();
    const filtered = filterInbox(markInbox(() => outer.next(), outer), evens, [])!;
    outer.push(1);
    outer.push(3);
    outer.push(4);
    expect(await filtered()).toBe(4);
    expect(outer.size).toBe(0);
    const next = filtered();
    outer.push(5);
    outer.push(6);
    expect(await next).toBe(6);
    // Once pulled, push delivery is refused (the outer inbox has a waiting reader or was read).
    outer.push(8);
    expect(await filtered()).toBe(8);
  });

  it('is null for a receive that is not a marked inbox', () => {
    expect(filterInbox(async () => 1, evens, [])).toBeNull();
  });
});
