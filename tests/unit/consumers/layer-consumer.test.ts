import { AsyncConsumer, type ConsumerLogger } from '../../../src/consumers/async-consumer';
import { JsonWebsocketConsumer } from '../../../src/consumers/json-websocket-consumer';
import { WebsocketConsumer } from '../../../src/consumers/websocket-consumer';
import type { EventOf } from '../../../src/consumers/event-handlers';
import { NoChannelLayer } from '../../../src/errors';
import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { EventQueue, markInbox } from '../../../src/inbox';
import type { Event } from '../../../src/application';

type ChatEvents = { 'chat.message': { message: string; user: string } };

let layer: InMemoryChannelLayer;
beforeEach(() => {
  layer = new InMemoryChannelLayer();
  configureChannelLayers({ default: layer });
});
afterEach(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
});

const instances: Room[] = [];

class Room extends JsonWebsocketConsumer<ChatEvents> {
  static override groups = ['room.lobby'];
  constructor() {
    super();
    instances.push(this);
  }
  override async connect() {
    await this.accept();
    await this.sendJson({ channel: this.channelName });
  }
  override async receiveJson(content: { message: string }) {
    await this.groupSend('room.lobby', { type: 'chat.message', message: content.message, user: 'u' });
  }
  async chatMessage(event: EventOf<ChatEvents, 'chat.message'>) {
    await this.sendJson({ from: event.user, message: event.message });
  }
}

async function join(): Promise<{ comm: WebsocketCommunicator; channel: string }> {
  const comm = new WebsocketCommunicator(Room.asApp(), '/ws/room/');
  expect((await comm.connect()).connected).toBe(true);
  const { channel } = await comm.receiveJsonFrom();
  return { comm, channel };
}

describe('consumers on the channel layer', () => {
  it('gives each consumer its own channel and joins static groups before connect', async () => {
    const a = await join();
    const b = await join();
    expect(a.channel).toMatch(/!/);
    expect(a.channel).not.toBe(b.channel);
    expect((await layer.groupMembers('room.lobby')).sort()).toEqual([a.channel, b.channel].sort());
    await a.comm.disconnect();
    await b.comm.disconnect();
  });

  it('a groupSend reaches every member exactly once', async () => {
    const members = [await join(), await join(), await join()];
    await members[0].comm.sendJsonTo({ message: 'hello all' });
    for (const { comm } of members) {
      expect(await comm.receiveJsonFrom()).toEqual({ from: 'u', message: 'hello all' });
      expect(await comm.receiveNothing(30)).toBe(true);
    }
    for (const { comm } of members) await comm.disconnect();
  });

  it('delivers a direct send to channelName', async () => {
    const a = await join();
    const b = await join();
    await layer.send(a.channel, { type: 'chat.message', message: 'just you', user: 'admin' });
    expect(await a.comm.receiveJsonFrom()).toEqual({ from: 'admin', message: 'just you' });
    expect(await b.comm.receiveNothing(30)).toBe(true);
    await a.comm.disconnect();
    await b.comm.disconnect();
  });

  it('leaves static and hand-joined groups on disconnect', async () => {
    class Joiner extends WebsocketConsumer {
      static override groups = ['g.static'];
      override async connect() {
        await this.groupAdd('g.manual');
        await this.accept();
      }
    }
    const comm = new WebsocketCommunicator(Joiner.asApp(), '/');
    await comm.connect();
    expect(await layer.groupMembers('g.static')).toHaveLength(1);
    expect(await layer.groupMembers('g.manual')).toHaveLength(1);
    await comm.disconnect();
    expect(await layer.groupMembers('g.static')).toEqual([]);
    expect(await layer.groupMembers('g.manual')).toEqual([]);
  });

  it('leaves groups when it ends on its own (close after a throw)', async () => {
    class Thrower extends WebsocketConsumer {
      static override groups = ['g.crash'];
      override async receive() {
        throw new Error('boom');
      }
    }
    const comm = new WebsocketCommunicator(Thrower.asApp(), '/');
    await comm.connect();
    await comm.sendTo({ text: 'x' });
    expect((await comm.receiveClose()).code).toBe(1011);
    await expect(comm.wait()).rejects.toThrow('boom');
    expect(await layer.groupMembers('g.crash')).toEqual([]);
  });

  it('interleaves layer events with client frames in arrival order, one at a time', async () => {
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    class Ordered extends WebsocketConsumer {
      override async connect() {
        await this.accept();
        await this.send(this.channelName as string);
      }
      async track(label: string) {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => setImmediate(r));
        order.push(label);
        active--;
      }
      override async receive(text?: string) {
        await this.track(`client:${text}`);
        if (text === 'last') await this.send('done');
      }
      async note(event: { type: 'note'; n: number }) {
        await this.track(`layer:${event.n}`);
      }
    }
    const comm = new WebsocketCommunicator(Ordered.asApp(), '/');
    await comm.connect();
    const channel = (await comm.receiveFrom()) as string;
    await comm.sendTo({ text: 'a' });
    await layer.send(channel, { type: 'note', n: 1 });
    await comm.sendTo({ text: 'b' });
    await layer.send(channel, { type: 'note', n: 2 });
    await comm.sendTo({ text: 'last' });
    expect(await comm.receiveFrom()).toBe('done');
    expect(order).toEqual(['client:a', 'layer:1', 'client:b', 'layer:2', 'client:last']);
    expect(maxActive).toBe(1);
    await comm.disconnect();
  });

  it('drops layer messages that use a protocol event type', async () => {
    const warnings: string[] = [];
    const logger: ConsumerLogger = { warn: (m: string) => warnings.push(m), error: () => {} };
    const disconnects: number[] = [];
    class Guarded extends WebsocketConsumer {
      static override logger = logger;
      static override groups = ['g.guard'];
      override async disconnect(code: number) {
        disconnects.push(code);
      }
      async ping() {
        await this.send('pong');
      }
    }
    const comm = new WebsocketCommunicator(Guarded.asApp(), '/');
    await comm.connect();
    await layer.groupSend('g.guard', { type: 'websocket.disconnect', code: 1000 });
    await layer.groupSend('g.guard', { type: 'ping' });
    expect(await comm.receiveFrom()).toBe('pong');
    expect(disconnects).toEqual([]);
    expect(warnings).toEqual(['Guarded: dropped a channel layer message of protocol type "websocket.disconnect"']);
    await comm.disconnect();
  });

  it('has no layer for an unconfigured alias: the getters throw NoChannelLayer with a hint, and groups are refused', async () => {
    const seen: unknown[] = [];
    class NoLayer extends WebsocketConsumer {
      static override channelLayerAlias = 'missing';
      override async connect() {
        seen.push(this.hasChannelLayer);
        for (const read of [() => this.channelLayer, () => this.channelName, () => this.groupSend('g', { type: 'x' }), () => this.channelSend('c', { type: 'x' })]) {
          try {
            await read();
            seen.push('no error');
          } catch (error) {
            seen.push(error instanceof NoChannelLayer ? (error as NoChannelLayer).code : error);
            seen.push(/configureChannelLayers/.test((error as Error).message));
          }
        }
        await this.accept();
      }
    }
    const comm = new WebsocketCommunicator(NoLayer.asApp(), '/');
    await comm.connect();
    expect(seen).toEqual([false, ...Array(4).fill(['ERR_NO_CHANNEL_LAYER', true]).flat()]);
    await comm.disconnect();

    class NeedsLayer extends WebsocketConsumer {
      static override channelLayerAlias = 'missing';
      static override groups = ['g'];
    }
    const refused = new WebsocketCommunicator(NeedsLayer.asApp(), '/');
    const result = await refused.connect();
    expect(result).toMatchObject({ connected: false, status: 500 });
    expect(!result.connected && result.error).toBeInstanceOf(NoChannelLayer);
  });

  it('a generic AsyncConsumer worker handles layer events by type', async () => {
    const got: string[] = [];
    let ready!: (channel: string) => void;
    const channelReady = new Promise<string>((r) => (ready = r));
    class Worker extends AsyncConsumer<{ 'job.run': { id: string } }> {
      async websocketConnect() {
        ready(this.channelName as string);
      }
      async jobRun(event: { type: 'job.run'; id: string }) {
        got.push(event.id);
        if (got.length === 2) await this.sendEvent({ type: 'websocket.send', text: got.join(',') });
      }
    }
    const comm = new WebsocketCommunicator(Worker.asApp(), '/');
    await comm.sendInput({ type: 'websocket.connect' });
    const channel = await channelReady;
    await layer.send(channel, { type: 'job.run', id: 'a' });
    await layer.send(channel, { type: 'job.run', id: 'b' });
    expect(await comm.receiveFrom()).toBe('a,b');
    await comm.disconnect();
  });
});

describe('consumers reading a server-style receive (push delivery)', () => {
  it('take connect, frames and disconnect by push, in order, and leave their groups', async () => {
    const queue = new EventQueue<Event>();
    const receive = markInbox(() => queue.next(), queue);
    const sent: Event[] = [];
    const frameSent = new Map<number, () => void>();
    const send = async (event: Event): Promise<void> => {
      sent.push(event);
      frameSent.get(sent.length)?.();
    };
    const nth = (n: number) => new Promise<void>((resolve) => frameSent.set(n, resolve));
    queue.push({ type: 'websocket.connect' });
    const acceptedAndHello = nth(2);
    const run = Room.asApp()({ type: 'websocket', path: '/ws/room/', headers: {} } as never, receive, send);
    await acceptedAndHello;
    expect(sent[0]).toMatchObject({ type: 'websocket.accept' });
    const { channel } = JSON.parse(String((sent[1] as unknown as { text: string }).text)) as { channel: string };
    expect(await layer.groupMembers('room.lobby')).toEqual([channel]);
    const echoed = nth(4);
    queue.push({ type: 'websocket.receive', text: JSON.stringify({ message: 'one' }) });
    queue.push({ type: 'websocket.receive', text: JSON.stringify({ message: 'two' }) });
    expect(queue.size).toBe(2); // handed to the consumer, reported as handled only once dispatched
    await echoed;
    await new Promise(setImmediate); // the rest of this turn's microtasks: dispatch returns
    expect(queue.size).toBe(0);
    expect(sent.slice(2).map((e) => JSON.parse(String((e as unknown as { text: string }).text)))).toEqual([
      { from: 'u', message: 'one' },
      { from: 'u', message: 'two' },
    ]);
    queue.finish({ type: 'websocket.disconnect', code: 1000 });
    await run;
    expect(await layer.groupMembers('room.lobby')).toEqual([]);
    expect(layer.stats().waiters).toBe(0);
  });

  it('joinedGroups lists one or several groups and every one is left at the end', async () => {
    let consumer!: Multi;
    class Multi extends WebsocketConsumer {
      override async connect() {
        consumer = this;
        await this.groupAdd('g.one');
        expect([...this.joinedGroups]).toEqual(['g.one']);
        await this.groupAdd('g.one');
        await this.groupAdd('g.two');
        await this.groupAdd('g.three');
        await this.groupDiscard('g.two');
        await this.accept();
      }
    }
    const comm = new WebsocketCommunicator(Multi.asApp(), '/ws/multi/');
    expect((await comm.connect()).connected).toBe(true);
    expect([...consumer.joinedGroups]).toEqual(['g.one', 'g.three']);
    expect(await layer.groupMembers('g.one')).toEqual([consumer.channelName]);
    await comm.disconnect();
    expect(await layer.groupMembers('g.one')).toEqual([]);
    expect(await layer.groupMembers('g.three')).toEqual([]);
    expect(consumer.joinedGroups.size).toBe(0);
  });

  it('groupSend and channelSend reach the group and the channel, and report like the layer', async () => {
    const got: string[] = [];
    let consumer!: Sender;
    class Sender extends JsonWebsocketConsumer<ChatEvents> {
      override async connect() {
        consumer = this;
        expect(this.hasChannelLayer).toBe(true);
        await this.groupAdd('senders');
        await this.accept();
      }
      override async receiveJson(content: { to: string }) {
        if (content.to === 'group') {
          const result = await this.groupSend('senders', { type: 'chat.message', message: 'to group', user: 'g' });
          expect(result.dropped).toBe(0);
        } else {
          await this.channelSend(this.channelName, { type: 'chat.message', message: 'to me', user: 'c' });
        }
      }
      async chatMessage(event: EventOf<ChatEvents, 'chat.message'>) {
        got.push(event.message);
        await this.sendJson(event.message);
      }
    }
    const comm = new WebsocketCommunicator(Sender.asApp(), '/');
    expect((await comm.connect()).connected).toBe(true);
    expect(consumer.channelLayer).toBe(layer);
    await comm.sendJsonTo({ to: 'group' });
    expect(await comm.receiveJsonFrom()).toBe('to group');
    await comm.sendJsonTo({ to: 'channel' });
    expect(await comm.receiveJsonFrom()).toBe('to me');
    expect(got).toEqual(['to group', 'to me']);
    await comm.disconnect();
  });

  it('leaves on disconnect the groups joined directly on the layer with its own channel', async () => {
    let consumer!: Direct;
    class Direct extends WebsocketConsumer {
      override async connect() {
        consumer = this;
        // The Django tutorial's idiom: the layer itself, with the consumer's channel.
        await this.channelLayer.groupAdd('direct.a', this.channelName);
        await this.channelLayer.groupAdd('direct.b', this.channelName);
        await this.channelLayer.groupDiscard('direct.b', this.channelName);
        // Another channel's membership is not this consumer's to leave.
        await this.channelLayer.groupAdd('direct.a', 'other.channel');
        await this.accept();
      }
    }
    const comm = new WebsocketCommunicator(Direct.asApp(), '/');
    expect((await comm.connect()).connected).toBe(true);
    expect([...consumer.joinedGroups]).toEqual(['direct.a']);
    expect((await layer.groupMembers('direct.a')).sort()).toEqual([consumer.channelName, 'other.channel'].sort());
    await comm.disconnect();
    expect(await layer.groupMembers('direct.a')).toEqual(['other.channel']);
    expect(consumer.joinedGroups.size).toBe(0);
  });
});
