import type { Application, Event } from '../../../src/application';
import { runWorker, type WorkerHandle } from '../../../src/cli/worker';
import { AsyncConsumer } from '../../../src/consumers/async-consumer';
import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';
import { ChannelNameRouter } from '../../../src/routing/channel-name-router';

/** Resolves when `count` items have been pushed to `list`, or fails after `ms`. */
function collect<T>(count: number, ms = 3000): { list: T[]; push(item: T): void; done: Promise<T[]> } {
  const list: T[] = [];
  let resolve!: (items: T[]) => void;
  let reject!: (error: Error) => void;
  const done = new Promise<T[]>((res, rej) => ((resolve = res), (reject = rej)));
  const timer = setTimeout(() => reject(new Error(`only ${list.length}/${count} items within ${ms} ms`)), ms);
  return {
    list,
    done,
    push(item) {
      list.push(item);
      if (list.length === count) {
        clearTimeout(timer);
        resolve(list);
      }
    },
  };
}

describe('runWorker', () => {
  let layer: InMemoryChannelLayer;
  let worker: WorkerHandle | undefined;

  beforeEach(() => {
    layer = new InMemoryChannelLayer();
    configureChannelLayers({ default: layer });
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await closeChannelLayers();
    configureChannelLayers(null);
  });

  it('feeds a named channel to a consumer through a ChannelNameRouter, in order', async () => {
    const seen = collect<number>(20);
    const scopes: unknown[] = [];
    class Jobs extends AsyncConsumer {
      async jobRun(event: Event): Promise<void> {
        scopes.push(this.scope);
        // Yield between messages: order must hold even when handlers are slow.
        await new Promise((r) => setImmediate(r));
        seen.push(event.n as number);
      }
    }
    worker = runWorker({ application: ChannelNameRouter({ jobs: Jobs.asApp() }), channels: ['jobs'], layer });
    for (let n = 0; n < 20; n++) await layer.send('jobs', { type: 'job.run', n });
    expect(await seen.done).toEqual(Array.from({ length: 20 }, (_, n) => n));
    // One instance per channel: every message went to the same scope object.
    expect(new Set(scopes).size).toBe(1);
    expect(scopes[0]).toEqual({ type: 'channel', channel: 'jobs' });
  });

  it('reads several channels, each with its own instance', async () => {
    const seen = collect<string>(4);
    class Echo extends AsyncConsumer {
      async ping(event: Event): Promise<void> {
        seen.push(`${(this.scope as { channel: string }).channel}:${String(event.n)}`);
      }
    }
    const application = ChannelNameRouter({ a: Echo.asApp(), b: Echo.asApp() });
    worker = runWorker({ application, channels: ['a', 'b'], layer });
    await layer.send('a', { type: 'ping', n: 1 });
    await layer.send('b', { type: 'ping', n: 1 });
    await layer.send('a', { type: 'ping', n: 2 });
    await layer.send('b', { type: 'ping', n: 2 });
    expect((await seen.done).sort()).toEqual(['a:1', 'a:2', 'b:1', 'b:2']);
  });

  it('leaves unread messages in the layer while the instance is busy', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started = collect<number>(1);
    const seen = collect<number>(5);
    const application: Application = async (_scope, receive) => {
      for (;;) {
        const event = await receive();
        if (event.n === 0) {
          started.push(0);
          await gate;
        }
        seen.push(event.n as number);
      }
    };
    worker = runWorker({ application, channels: ['slow'], layer });
    for (let n = 0; n < 5; n++) await layer.send('slow', { type: 'x', n });
    await started.done;
    // Message 0 is being handled, 1 is buffered, the rest wait in the layer.
    expect(layer.stats().messages).toBe(3);
    release();
    expect(await seen.done).toEqual([0, 1, 2, 3, 4]);
  });

  it('starts a fresh instance after one fails, for the next message', async () => {
    const logs: string[] = [];
    const seen = collect<number>(2);
    let instances = 0;
    const application: Application = async (_scope, receive) => {
      instances++;
      const event = await receive();
      if (event.n === 1) throw new Error('bad job');
      seen.push(event.n as number);
      const next = await receive();
      seen.push(next.n as number);
    };
    worker = runWorker({ application, channels: ['flaky'], layer, log: (line) => logs.push(line) });
    await layer.send('flaky', { type: 'x', n: 1 });
    await layer.send('flaky', { type: 'x', n: 2 });
    await layer.send('flaky', { type: 'x', n: 3 });
    expect(await seen.done).toEqual([2, 3]);
    expect(instances).toBe(2);
    expect(logs.join('\n')).toMatch(/the application for channel flaky failed: Error: bad job/);
  });

  it('stop() ends a consumer waiting for messages and stops reading', async () => {
    const ended = collect<string>(1);
    class Idle extends AsyncConsumer {
      async ping(): Promise<void> {}
      protected override async onEnd(error: unknown): Promise<unknown> {
        ended.push((error as Error).name);
        return super.onEnd(error);
      }
    }
    worker = runWorker({ application: ChannelNameRouter({ idle: Idle.asApp() }), channels: ['idle'], layer });
    await layer.send('idle', { type: 'ping' });
    await new Promise((r) => setImmediate(r));
    await worker.stop();
    expect(await ended.done).toEqual(['StopConsumer']);
    await layer.send('idle', { type: 'ping' });
    expect(layer.stats().waiters).toBe(0);
    expect(layer.stats().messages).toBe(1);
  });

  it('refuses bad channel names and a worker application that sends', async () => {
    const app: Application = async () => undefined;
    expect(() => runWorker({ application: app, channels: [], layer })).toThrow(/at least one channel/);
    expect(() => runWorker({ application: app, channels: ['bad name'], layer })).toThrow(/invalid channel name/);
    expect(() => runWorker({ application: app, channels: ['local!x'], layer })).toThrow(/process-local/);

    const logs: string[] = [];
    const tried = collect<string>(1);
    const sender: Application = async (_scope, receive, send) => {
      await receive();
      try {
        await send({ type: 'websocket.send', text: 'x' });
      } catch (error) {
        tried.push((error as Error).message);
      }
    };
    worker = runWorker({ application: sender, channels: ['s'], layer, log: (l) => logs.push(l) });
    await layer.send('s', { type: 'x' });
    expect((await tried.done)[0]).toMatch(/no client to send "websocket.send" to/);
  });
});
