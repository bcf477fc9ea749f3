import { CloseCode } from '../../../src/close-codes';
import { DenyConnection, InvalidEvent, StopConsumer } from '../../../src/errors';
import { AsyncConsumer, type ConsumerLogger } from '../../../src/consumers/async-consumer';
import { WebsocketConsumer } from '../../../src/consumers/websocket-consumer';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';

function recordingLogger(): ConsumerLogger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return { warnings, errors, warn: (m: string) => warnings.push(m), error: (m: string) => errors.push(m) };
}

/** Without a layer: these tests are about the socket side only. */
class Base extends WebsocketConsumer {
  static override channelLayerAlias = 'none';
  disconnects: number[] = [];
  override async disconnect(code: number): Promise<void> {
    this.disconnects.push(code);
  }
}

afterAll(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
});

describe('WebsocketConsumer handshake', () => {
  it('accepts by default', async () => {
    const comm = new WebsocketCommunicator(Base.asApp(), '/');
    expect(await comm.connect()).toEqual({ connected: true, subprotocol: null, headers: [] });
    await comm.disconnect();
  });

  it('accepts with a chosen subprotocol and extra headers', async () => {
    class Proto extends Base {
      override async connect() {
        const scope = this.scope as { subprotocols: string[] };
        await this.accept(scope.subprotocols.includes('v2.chat') ? 'v2.chat' : null, { 'x-room': 'lobby' });
      }
    }
    const comm = new WebsocketCommunicator(Proto.asApp(), '/', { subprotocols: ['v1.chat', 'v2.chat'] });
    expect(await comm.connect()).toEqual({ connected: true, subprotocol: 'v2.chat', headers: [['x-room', 'lobby']] });
    await comm.disconnect();
  });

  it('deny(status, reason) refuses with that status and body, and disconnect runs with 1006', async () => {
    const seen: number[] = [];
    class Denier extends Base {
      override async connect() {
        this.deny(401, 'log in first');
      }
      override async disconnect(code: number) {
        seen.push(code);
      }
    }
    const comm = new WebsocketCommunicator(Denier.asApp(), '/');
    expect(await comm.connect()).toEqual({ connected: false, status: 401, reason: 'log in first' });
    await comm.wait();
    expect(seen).toEqual([CloseCode.ABNORMAL]);
  });

  it('a thrown DenyConnection defaults to 403', async () => {
    class Denier extends Base {
      override async connect() {
        throw new DenyConnection();
      }
    }
    const comm = new WebsocketCommunicator(Denier.asApp(), '/');
    expect(await comm.connect()).toMatchObject({ connected: false, status: 403 });
    await comm.wait();
  });

  it('close() before accept refuses with 403 and the close code', async () => {
    class Closer extends Base {
      override async connect() {
        await this.close(4003);
      }
    }
    const comm = new WebsocketCommunicator(Closer.asApp(), '/');
    expect(await comm.connect()).toEqual({ connected: false, closeCode: 4003, status: 403, reason: '' });
    await comm.wait();
  });

  it('an error in connect() before accept refuses with 500 and rejects the app with it', async () => {
    const seen: number[] = [];
    class Broken extends Base {
      override async connect() {
        throw new Error('db down');
      }
      override async disconnect(code: number) {
        seen.push(code);
      }
    }
    const comm = new WebsocketCommunicator(Broken.asApp(), '/');
    const result = await comm.connect();
    expect(result).toMatchObject({ connected: false, status: 500 });
    await expect(comm.wait()).rejects.toThrow('db down');
    expect(seen).toEqual([CloseCode.ABNORMAL]);
  });
});

describe('WebsocketConsumer frames', () => {
  class Echo extends Base {
    override async receive(text?: string, bytes?: Uint8Array) {
      if (text === 'bye') return this.close(4000, 'asked to leave');
      if (text !== undefined) await this.send(`echo:${text}`);
      else await this.send(Buffer.concat([Buffer.from([0xff]), bytes as Uint8Array]));
    }
  }

  it('echoes text as text and bytes as binary', async () => {
    const comm = new WebsocketCommunicator(Echo.asApp(), '/');
    await comm.connect();
    await comm.sendTo({ text: 'hi' });
    expect(await comm.receiveFrom()).toBe('echo:hi');
    await comm.sendTo({ bytes: new Uint8Array([1, 2, 3]) });
    const frame = await comm.receiveFrom();
    expect(frame).toBeInstanceOf(Uint8Array);
    expect([...(frame as Uint8Array)]).toEqual([0xff, 1, 2, 3]);
    await comm.disconnect(1001);
  });

  it('close(code, reason) reaches the client and disconnect gets that code', async () => {
    const instances: Echo[] = [];
    class Tracked extends Echo {
      constructor() {
        super();
        instances.push(this);
      }
    }
    const comm = new WebsocketCommunicator(Tracked.asApp(), '/');
    await comm.connect();
    await comm.sendTo({ text: 'bye' });
    expect(await comm.receiveClose()).toEqual({ code: 4000, reason: 'asked to leave' });
    await comm.wait();
    expect(instances[0].disconnects).toEqual([4000]);
  });

  it('passes the client close code to disconnect, once', async () => {
    const instances: Base[] = [];
    class Tracked extends Base {
      constructor() {
        super();
        instances.push(this);
      }
    }
    const comm = new WebsocketCommunicator(Tracked.asApp(), '/');
    await comm.connect();
    await comm.disconnect(4321);
    expect(instances[0].disconnects).toEqual([4321]);
  });

  it('send() before accept is an InvalidEvent', async () => {
    class Early extends Base {
      override async connect() {
        await this.send('too soon');
      }
    }
    const comm = new WebsocketCommunicator(Early.asApp(), '/');
    const result = await comm.connect();
    expect(result.connected).toBe(false);
    expect(!result.connected && result.error).toBeInstanceOf(InvalidEvent);
    await expect(comm.wait()).rejects.toThrow(/before accept\(\)/);
  });

  it('gives each connection a fresh instance with initOptions assigned', async () => {
    const seen: Array<{ prefix: string; self: object }> = [];
    class Greeter extends Base {
      prefix = 'default';
      override async connect() {
        seen.push({ prefix: this.prefix, self: this });
        await this.accept();
      }
    }
    const app = Greeter.asApp({ prefix: 'custom' });
    const a = new WebsocketCommunicator(app, '/');
    const b = new WebsocketCommunicator(app, '/');
    await a.connect();
    await b.connect();
    expect(seen.map((s) => s.prefix)).toEqual(['custom', 'custom']);
    expect(seen[0].self).not.toBe(seen[1].self);
    await a.disconnect();
    await b.disconnect();
  });
});

describe('WebsocketConsumer failures', () => {
  it('a throwing handler closes with 1011, runs disconnect(1011), then rejects with the error', async () => {
    const seen: number[] = [];
    class Thrower extends Base {
      override async receive() {
        throw new Error('handler bug');
      }
      override async disconnect(code: number) {
        seen.push(code);
      }
    }
    const comm = new WebsocketCommunicator(Thrower.asApp(), '/');
    await comm.connect();
    await comm.sendTo({ text: 'x' });
    expect(await comm.receiveClose()).toEqual({ code: CloseCode.INTERNAL_ERROR, reason: '' });
    await expect(comm.wait()).rejects.toThrow('handler bug');
    expect(seen).toEqual([1011]);
  });

  it('StopConsumer ends the consumer cleanly (close 1000)', async () => {
    class Stopper extends Base {
      override async receive() {
        throw new StopConsumer();
      }
    }
    const comm = new WebsocketCommunicator(Stopper.asApp(), '/');
    await comm.connect();
    await comm.sendTo({ text: 'x' });
    expect(await comm.receiveClose()).toEqual({ code: 1000, reason: '' });
    await comm.wait();
  });

  it('disconnect is not starved by a handler that never finishes, and the backlog is dropped', async () => {
    const seen: string[] = [];
    let entered!: () => void;
    const handlerEntered = new Promise<void>((r) => (entered = r));
    class Stuck extends Base {
      override async receive(text?: string) {
        seen.push(`receive:${text}`);
        entered();
        await new Promise<never>(() => {}); // never resolves
      }
      override async disconnect(code: number) {
        seen.push(`disconnect:${code}`);
      }
    }
    const comm = new WebsocketCommunicator(Stuck.asApp(), '/');
    await comm.connect();
    await comm.sendTo({ text: 'first' });
    await handlerEntered;
    await comm.sendTo({ text: 'queued-1' });
    await comm.sendTo({ text: 'queued-2' });
    await comm.disconnect(1001, 500);
    expect(seen).toEqual(['receive:first', 'disconnect:1001']);
  });

  it('a handler failing after disconnect is logged, not thrown', async () => {
    const logger = recordingLogger();
    let release!: () => void;
    let entered!: () => void;
    const handlerEntered = new Promise<void>((r) => (entered = r));
    class Late extends Base {
      static override logger = logger;
      override async receive() {
        entered();
        await new Promise<void>((r) => (release = r));
        throw new Error('late failure');
      }
    }
    const comm = new WebsocketCommunicator(Late.asApp(), '/');
    await comm.connect();
    await comm.sendTo({ text: 'x' });
    await handlerEntered;
    await comm.disconnect();
    release();
    await new Promise<void>((r) => setImmediate(r));
    expect(logger.errors).toEqual(['Late: a handler failed after the connection ended']);
    expect(await comm.receiveNothing(10)).toBe(true);
  });
});

describe('dispatch of unknown types', () => {
  it('drops an event without a handler and logs once per type', async () => {
    const logger = recordingLogger();
    class Raw extends AsyncConsumer {
      static override channelLayerAlias = 'none';
      static override logger = logger;
      async websocketConnect() {
        await this.sendEvent({ type: 'websocket.accept' });
      }
      async websocketReceive(event: { text?: string }) {
        await this.sendEvent({ type: 'websocket.send', text: event.text });
      }
    }
    const comm = new WebsocketCommunicator(Raw.asApp(), '/');
    await comm.connect();
    await comm.sendInput({ type: 'mystery.event' });
    await comm.sendInput({ type: 'mystery.event' });
    await comm.sendInput({ type: '_private' });
    await comm.sendTo({ text: 'still alive' });
    expect(await comm.receiveFrom()).toBe('still alive');
    expect(logger.warnings).toHaveLength(2);
    expect(logger.warnings[0]).toMatch(/Raw has no handler for event type "mystery.event"; define a method named mysteryEvent/);
    expect(logger.warnings[1]).toMatch(/"_private" maps to "private"/);
    await comm.disconnect();
  });

  it('strictDispatch closes a websocket consumer with 4404 and runs disconnect', async () => {
    const seen: number[] = [];
    class Strict extends Base {
      static override strictDispatch = true;
      override async disconnect(code: number) {
        seen.push(code);
      }
    }
    const comm = new WebsocketCommunicator(Strict.asApp(), '/');
    await comm.connect();
    await comm.sendInput({ type: 'mystery.event' });
    expect(await comm.receiveClose()).toEqual({ code: CloseCode.NO_HANDLER, reason: 'ERR_NO_HANDLER' });
    await comm.wait();
    expect(seen).toEqual([4404]);
  });
});
