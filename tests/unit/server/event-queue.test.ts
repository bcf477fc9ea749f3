import { EventQueue } from '../../../src/server/event-queue';

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
