/**
 * Wire compatibility with Django Channels: a real Django Channels consumer
 * under daphne (channels_redis 4 core layer) and a Switchyard consumer on
 * RedisChannelLayer share one Redis and prefix, and talk both ways through
 * groups and through each other's process-local channels. Run with two
 * Redis servers too, where both sides must agree on the CRC-32 sharding.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { WebsocketConsumer } from '../../src/consumers/websocket-consumer';
import { closeChannelLayers, configureChannelLayers } from '../../src/layers/registry';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { WebsocketCommunicator } from '../../src/testing/websocket-communicator';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';
import { scaled } from '../setup/calibrate';
import { assertPythonStack, startDjangoApp, type DjangoApp } from './python-env';

jest.setTimeout(scaled(30_000));

const NODE_GROUP = 'interop.node';
const PYTHON_GROUP = 'interop.python';

/** What Switchyard sends; Python reports each value's type. */
const NODE_PAYLOAD = {
  text: 'héllo ✓',
  count: 42,
  big: 2 ** 40,
  neg: -7,
  ratio: 1.5,
  whole: 2.0, // a JS number with an integral value: Python sees an int
  yes: true,
  no: false,
  nothing: null,
  nested: { list: [1, 'two', [3.25, null]], deep: { k: 'v' } },
  blob: Buffer.from([0, 1, 254, 255]),
  nestedBlob: [new Uint8Array([104, 105])],
};

/** How Python describes NODE_PAYLOAD (see describe() in interop_consumers.py). */
const NODE_PAYLOAD_IN_PYTHON = {
  text: { t: 'str', v: 'héllo ✓' },
  count: { t: 'int', v: '42' },
  big: { t: 'int', v: String(2 ** 40) },
  neg: { t: 'int', v: '-7' },
  ratio: { t: 'float', v: '1.5' },
  whole: { t: 'int', v: '2' },
  yes: { t: 'bool', v: true },
  no: { t: 'bool', v: false },
  nothing: { t: 'none' },
  nested: {
    t: 'dict',
    v: {
      list: { t: 'list', v: [{ t: 'int', v: '1' }, { t: 'str', v: 'two' }, { t: 'list', v: [{ t: 'float', v: '3.25' }, { t: 'none' }] }] },
      deep: { t: 'dict', v: { k: { t: 'str', v: 'v' } } },
    },
  },
  blob: { t: 'bytes', v: '0001feff' },
  nestedBlob: { t: 'list', v: [{ t: 'bytes', v: '6869' }] },
};

/** Checks what Switchyard got from Python's PAYLOAD (interop_consumers.py). */
function expectPythonPayload(event: Record<string, unknown>, via: string): void {
  expect(event).toEqual({
    type: 'interop.payload',
    via,
    text: 'héllo ✓',
    count: 42,
    big: 2 ** 40,
    neg: -7,
    ratio: 1.5,
    whole_float: 2, // a Python float with an integral value arrives as a plain number
    yes: true,
    no: false,
    nothing: null,
    nested: { list: [1, 'two', [3.25, null]], deep: { k: 'v' } },
    blob: expect.any(Uint8Array),
    nested_blob: [expect.any(Uint8Array)],
  });
  expect(Buffer.isBuffer(event.blob)).toBe(true);
  expect([...(event.blob as Uint8Array)]).toEqual([0, 1, 254, 255]);
  expect(Buffer.from((event.nested_blob as Uint8Array[])[0]!).toString()).toBe('hi');
  expect(event).not.toHaveProperty('__asgi_channel__');
}

/** A JSON WebSocket client with a bounded wait for the next matching frame. */
class JsonClient {
  readonly #frames: Array<Record<string, unknown>> = [];
  readonly #waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.#frames.push(JSON.parse(String(data)));
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }
  static open(url: string): Promise<JsonClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new JsonClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }
  send(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }
  async next(event: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#frames.findIndex((f) => f.event === event);
      if (index !== -1) return this.#frames.splice(index, 1)[0]!;
      const error = this.#frames.find((f) => f.event === 'error');
      if (error) throw new Error(`python consumer reported ${JSON.stringify(error)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${event}" frame from the Python consumer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Layer events the Switchyard consumer got, with a bounded wait. */
const inbox: Array<Record<string, unknown>> = [];
const inboxWaiters: Array<() => void> = [];

async function nextNodeEvent(timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (inbox.length === 0) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`the Switchyard consumer got nothing within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      inboxWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return inbox.shift()!;
}

class NodeInteropConsumer extends WebsocketConsumer {
  static override groups = [NODE_GROUP];
  override async connect(): Promise<void> {
    await this.accept();
    await this.send(this.channelName);
  }
  async interopPayload(event: Record<string, unknown>): Promise<void> {
    inbox.push(event);
    for (const wake of inboxWaiters.splice(0)) wake();
  }
}

describe.each([
  ['one Redis server', 1],
  ['two Redis servers (sharded)', 2],
])('channels_redis interop, %s', (_label, serverCount) => {
  const prefix = `sy-interop-${randomBytes(4).toString('hex')}`;
  const extraServers: ThrowawayRedis[] = [];
  let hosts: string[] = [];
  let django: DjangoApp | undefined;
  let python: JsonClient | undefined;
  let pythonChannel = '';
  let layer: RedisChannelLayer;
  let comm: WebsocketCommunicator;
  let nodeChannel = '';

  beforeAll(async () => {
    assertPythonStack();
    hosts = [process.env.REDIS_URL!];
    for (let i = 1; i < serverCount; i++) {
      const server = await startThrowawayRedis();
      extraServers.push(server);
      hosts.push(server.url);
    }
    django = await startDjangoApp({ hosts, prefix });
    python = await JsonClient.open(`ws://127.0.0.1:${django.port}/ws/interop/`);
    pythonChannel = String((await python.next('ready')).channel);

    layer = new RedisChannelLayer({ hosts, prefix });
    configureChannelLayers({ default: layer });
    comm = new WebsocketCommunicator(NodeInteropConsumer.asApp(), '/ws/interop/');
    expect(await comm.connect(5000)).toMatchObject({ connected: true });
    nodeChannel = (await comm.receiveFrom(5000)) as string;
  });

  afterAll(async () => {
    await comm?.disconnect().catch(() => undefined);
    await python?.close();
    await django?.stop();
    if (layer && !layer.closed) await layer.flush().catch(() => undefined);
    await closeChannelLayers();
    configureChannelLayers(null);
    for (const server of extraServers) await server.stop();
  });

  it('a Python group_send reaches a Switchyard consumer, every type intact', async () => {
    python!.send({ action: 'group_send', group: NODE_GROUP });
    await python!.next('sent');
    expectPythonPayload(await nextNodeEvent(), 'group_send');
  });

  it("a Python send to a Switchyard consumer's process-local channel arrives", async () => {
    expect(nodeChannel).toContain('!');
    python!.send({ action: 'send', channel: nodeChannel });
    await python!.next('sent');
    expectPythonPayload(await nextNodeEvent(), 'send');
  });

  it('a Switchyard groupSend reaches the Python consumer, every type intact', async () => {
    expect(await layer.groupMembers(PYTHON_GROUP)).toContain(pythonChannel);
    await layer.groupSend(PYTHON_GROUP, { type: 'interop.payload', via: 'groupSend', ...NODE_PAYLOAD });
    const got = await python!.next('got');
    expect(got.payload).toEqual({
      t: 'dict',
      v: { type: { t: 'str', v: 'interop.payload' }, via: { t: 'str', v: 'groupSend' }, ...NODE_PAYLOAD_IN_PYTHON },
    });
  });

  it('a groupSend to a group with history reaches the Python consumer with its stamp as two extra keys', async () => {
    const withHistory = new RedisChannelLayer({ hosts, prefix, history: [[PYTHON_GROUP, { size: 10, ttl: 60 }]] });
    try {
      const sent = await withHistory.groupSend(PYTHON_GROUP, { type: 'interop.payload', via: 'history', ...NODE_PAYLOAD });
      const got = await python!.next('got');
      expect(got.payload).toEqual({
        t: 'dict',
        v: {
          type: { t: 'str', v: 'interop.payload' },
          via: { t: 'str', v: 'history' },
          ...NODE_PAYLOAD_IN_PYTHON,
          __offset__: { t: 'int', v: String(sent.offset) },
          __epoch__: { t: 'str', v: sent.epoch },
        },
      });
      expect((await withHistory.groupHistory(PYTHON_GROUP)).messages.at(-1)?.offset).toBe(sent.offset);
    } finally {
      await withHistory.close();
    }
  });

  it('a Switchyard groupSend to a group with a member in its own process and the Python consumer reaches both, once each', async () => {
    // The own member is served in-process (no Redis round trip); Python's copy still goes through its queue.
    await layer.groupAdd(PYTHON_GROUP, nodeChannel);
    try {
      await layer.groupSend(PYTHON_GROUP, { type: 'interop.payload', via: 'mixed', ...NODE_PAYLOAD });
      const got = await python!.next('got');
      expect(got.payload).toMatchObject({ t: 'dict', v: { via: { t: 'str', v: 'mixed' }, whole: { t: 'int', v: '2' } } });
      expect(await nextNodeEvent()).toMatchObject({ type: 'interop.payload', via: 'mixed', count: 42 });
      await layer.groupSend(NODE_GROUP, { type: 'interop.payload', via: 'marker' });
      expect(await nextNodeEvent()).toMatchObject({ via: 'marker' }); // nothing twice in between
    } finally {
      await layer.groupDiscard(PYTHON_GROUP, nodeChannel);
    }
  });

  it("a Switchyard send to the Python consumer's process-local channel arrives", async () => {
    expect(pythonChannel).toContain('!');
    await layer.send(pythonChannel, { type: 'interop.payload', via: 'send', ...NODE_PAYLOAD });
    const got = await python!.next('got');
    expect(got.payload).toEqual({
      t: 'dict',
      v: { type: { t: 'str', v: 'interop.payload' }, via: { t: 'str', v: 'send' }, ...NODE_PAYLOAD_IN_PYTHON },
    });
  });

  it('both sides see the same group membership (same keys, same shard)', async () => {
    const members = await layer.groupMembers(NODE_GROUP);
    expect(members).toEqual([nodeChannel]);
  });
});
