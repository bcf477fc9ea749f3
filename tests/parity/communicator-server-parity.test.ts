/**
 * Tests drive production: every case of the shared table runs through a
 * WebsocketCommunicator and through a real server with a real client, and
 * must observe the same frames, closes and handler order on both.
 */
import type { Application, Event } from '../../src/application';
import { AsyncHttpConsumer } from '../../src/consumers/http-consumer';
import { WebsocketConsumer } from '../../src/consumers/websocket-consumer';
import { hasInbox } from '../../src/inbox';
import { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../../src/layers/registry';
import { HttpCommunicator } from '../../src/testing/http-communicator';
import { WebsocketCommunicator } from '../../src/testing/websocket-communicator';
import { closeAll } from '../helpers/cleanup';
import { startServer } from '../helpers/start-server';
import { connectClient } from '../helpers/ws-client';
import { CASES } from './cases';
import { Log, communicatorDriver, serverDriver, type Driver } from './drivers';

beforeEach(() => {
  configureChannelLayers({ default: new InMemoryChannelLayer() });
});
afterEach(async () => {
  await closeAll();
  await closeChannelLayers();
  configureChannelLayers(null);
});

async function runCase(kind: 'communicator' | 'server', index: number): Promise<{ observed: unknown[]; log: string[] }> {
  const testCase = CASES[index]!;
  const log = new Log();
  const app = testCase.app(log);
  const driver: Driver = kind === 'communicator' ? communicatorDriver(app) : await serverDriver(app);
  try {
    const observed = await testCase.run(driver, log);
    return { observed, log: log.entries };
  } finally {
    await driver.close();
  }
}

describe.each(CASES.map((testCase, index) => [testCase.name, index] as const))('parity: %s', (_name, index) => {
  const testCase = CASES[index]!;
  it('through a communicator', async () => {
    const { observed, log } = await runCase('communicator', index);
    expect(observed).toEqual(testCase.expected);
    expect(log).toEqual(testCase.expectedLog);
  });
  it('through a real server', async () => {
    const { observed, log } = await runCase('server', index);
    expect(observed).toEqual(testCase.expected);
    expect(log).toEqual(testCase.expectedLog);
  });
});

describe('the communicator and the server hand a consumer the same path', () => {
  // Fails when the two paths diverge: if either stopped handing applications a
  // receive backed by an inbox, consumers there would fall back to the pull pump.
  function probe(seen: string[]): Application {
    const inner = WebsocketConsumer.asApp();
    return (scope, receive, send) => {
      seen.push(hasInbox(receive) ? 'inbox' : 'pull');
      return inner(scope, receive, send);
    };
  }

  it('both give the consumer a receive backed by an inbox, so it takes events by push', async () => {
    const seen: string[] = [];
    const comm = new WebsocketCommunicator(probe(seen), '/');
    expect((await comm.connect()).connected).toBe(true);
    await comm.disconnect();
    const server = await startServer(probe(seen));
    const client = await connectClient(`${server.url}/`);
    await client.close();
    expect(seen).toEqual(['inbox', 'inbox']);
  });

  it('both report handled client events through the inbox (the backpressure signal)', async () => {
    // The server pauses a client while its inbox holds maxQueuedMessages unhandled events;
    // the communicator exposes that very count as pendingInputs.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    class Slow extends WebsocketConsumer {
      override async receive(text?: string) {
        if (text === 'first') await held;
        handled.push(text!);
        if (handled.length === 3) await this.send('done');
      }
    }
    const comm = new WebsocketCommunicator(Slow.asApp(), '/');
    await comm.connect();
    // The connect handler reports its event handled once it returns, just after accepting.
    await new Promise((resolve) => setImmediate(resolve));
    expect(comm.pendingInputs).toBe(0);
    for (const text of ['first', 'second', 'third']) await comm.sendTo({ text });
    // Pushed to the consumer, not handled yet: still counted, as the server counts them.
    expect(comm.pendingInputs).toBe(3);
    release();
    expect(await comm.receiveFrom()).toBe('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(comm.pendingInputs).toBe(0);
    expect(handled).toEqual(['first', 'second', 'third']);
    await comm.disconnect();
  });

  it('after a disconnect, receive() returns the disconnect again on both paths', async () => {
    const seen: Event[][] = [];
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      const events = [await receive(), await receive()];
      seen.push(events.map((event) => ({ type: event.type })));
    };
    const comm = new WebsocketCommunicator(app, '/');
    await comm.connect();
    await comm.disconnect(1000);
    const server = await startServer(app);
    const client = await connectClient(`${server.url}/`);
    await client.close();
    await server.close();
    expect(seen).toEqual([
      [{ type: 'websocket.disconnect' }, { type: 'websocket.disconnect' }],
      [{ type: 'websocket.disconnect' }, { type: 'websocket.disconnect' }],
    ]);
  });
});

describe('parity: an HTTP consumer', () => {
  // The HTTP exchange feeds an inbox too, so an HTTP consumer takes the body by push on both paths.
  class Upper extends AsyncHttpConsumer {
    override async handle(body: Buffer) {
      await this.sendResponse(201, body.toString('utf8').toUpperCase(), { headers: { 'content-type': 'text/plain' } });
    }
  }
  function probe(seen: string[]): Application {
    const inner = Upper.asApp();
    return (scope, receive, send) => {
      seen.push(hasInbox(receive) ? 'inbox' : 'pull');
      return inner(scope, receive, send);
    };
  }

  it('answers the same through HttpCommunicator and a real server, reading the body from an inbox on both', async () => {
    const seen: string[] = [];
    const comm = new HttpCommunicator(probe(seen), 'POST', '/up', { body: 'hello' });
    const viaComm = await comm.getResponse();
    const server = await startServer(probe(seen));
    const viaServer = await fetch(`${server.httpUrl}/up`, { method: 'POST', body: 'hello' });
    expect({ status: viaComm.status, body: viaComm.body.toString('utf8') }).toEqual({ status: 201, body: 'HELLO' });
    expect({ status: viaServer.status, body: await viaServer.text() }).toEqual({ status: 201, body: 'HELLO' });
    expect(seen).toEqual(['inbox', 'inbox']);
  });
});
