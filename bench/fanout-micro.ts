/**
 * The framework's own cost per delivery, without sockets: N bench chat
 * consumers (bench/servers/bench-chat-consumer.ts) on one in-memory layer,
 * fed by the server's inbox type, with a `send` that only counts. Each round
 * is one groupSend to all N, in its own event-loop turn (as at light load),
 * timed until every member's handler has sent its frame. Prints ns per
 * delivery (median of the rounds) and heap bytes per consumer.
 *
 *   node --expose-gc --require ./bench/lib/transpile-register.js bench/fanout-micro.ts [members=10000] [rounds=60]
 */
import { performance } from 'node:perf_hooks';
import type { Event, WebsocketScope } from '../src/application';
import { EventQueue, markInbox } from '../src/inbox';
import { InMemoryChannelLayer } from '../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../src/layers/registry';
import { BenchChatConsumer } from './servers/bench-chat-consumer';

const members = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 60);

async function main(): Promise<void> {
  const layer = new InMemoryChannelLayer();
  configureChannelLayers({ default: layer });
  const app = BenchChatConsumer.asApp();
  let sent = 0;
  let target = 0;
  let done: (() => void) | null = null;
  let accepted = 0;
  const RESOLVED = Promise.resolve();
  const send = (event: Event): Promise<void> => {
    if (event.type === 'websocket.accept') accepted++;
    else if (event.type === 'websocket.send' && ++sent === target) done?.();
    return RESOLVED;
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const queues: EventQueue<Event>[] = [];
  for (let i = 0; i < members; i++) {
    const queue = new EventQueue<Event>();
    const receive = markInbox(() => queue.next(), queue);
    const scope = { type: 'websocket', path: '/ws/chat/r/', urlRoute: { kwargs: { roomName: 'r' } } } as unknown as WebsocketScope;
    queue.push({ type: 'websocket.connect' });
    void app(scope, receive as never, send);
    queues.push(queue);
  }
  while (accepted < members) await new Promise((resolve) => setImmediate(resolve));
  gc?.();
  const heapPerConsumer = (process.memoryUsage().heapUsed - heapBefore) / members;
  const perDelivery: number[] = [];
  for (let r = 0; r < rounds; r++) {
    sent = 0;
    target = members;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const start = performance.now();
    // A client frame, as the server pushes it: the sender's handler does the groupSend.
    queues[r % members]!.push({ type: 'websocket.receive', text: `{"message":"hello ${r}"}` });
    await finished;
    perDelivery.push(((performance.now() - start) * 1e6) / members);
    await new Promise((resolve) => setImmediate(resolve));
  }
  perDelivery.sort((a, b) => a - b);
  const median = perDelivery[Math.floor(perDelivery.length / 2)]!;
  process.stdout.write(`${JSON.stringify({ members, rounds, nsPerDelivery: Math.round(median), p10: Math.round(perDelivery[Math.floor(rounds / 10)]!), heapPerConsumer: Math.round(heapPerConsumer) })}\n`);
  for (const queue of queues) queue.finish({ type: 'websocket.disconnect', code: 1000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await closeChannelLayers();
}

void main();
