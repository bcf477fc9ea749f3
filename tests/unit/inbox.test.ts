import { EventQueue, listenToInbox, markInbox } from '../../src/inbox';

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
