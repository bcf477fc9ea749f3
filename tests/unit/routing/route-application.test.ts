import express from 'express';
import { CONSUMER_CLASS, type Application } from '../../../src/application';
import { WebsocketConsumer } from '../../../src/consumers/websocket-consumer';
import { JsonWebsocketConsumer } from '../../../src/consumers/json-websocket-consumer';
import { NotAnApplication } from '../../../src/errors';
import { nodeHandler } from '../../../src/routing/protocol-type-router';
import { isConsumerClass } from '../../../src/routing/route-application';
import { URLRouter, path, rePath } from '../../../src/routing/url-router';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';

class RoomConsumer extends JsonWebsocketConsumer {
  override async connect(): Promise<void> {
    await this.accept();
    await this.sendJson({ room: this.scope.urlRoute!.kwargs.room });
  }
}

class EchoConsumer extends WebsocketConsumer {
  greeting = 'hello';
  override async connect(): Promise<void> {
    await this.accept();
    await this.send(this.greeting);
  }
}

async function firstJson(app: Application, url: string): Promise<unknown> {
  const comm = new WebsocketCommunicator(app, url);
  try {
    expect((await comm.connect()).connected).toBe(true);
    return await comm.receiveJsonFrom();
  } finally {
    await comm.disconnect();
  }
}

function refusal(run: () => unknown): NotAnApplication {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NotAnApplication);
    expect(error).toMatchObject({ code: 'ERR_NOT_AN_APPLICATION' });
    expect((error as Error).message).toContain('asApp()');
    return error as NotAnApplication;
  }
  throw new Error('expected NotAnApplication');
}

describe('consumer classes in routes', () => {
  it('marks every consumer class, inherited from the base class', () => {
    expect(isConsumerClass(RoomConsumer)).toBe(true);
    expect(isConsumerClass(EchoConsumer)).toBe(true);
    expect((RoomConsumer as unknown as Record<symbol, unknown>)[CONSUMER_CLASS]).toBe(true);
    expect(isConsumerClass(class Plain {})).toBe(false);
    expect(isConsumerClass(async () => {})).toBe(false);
  });

  it('path() takes the class itself and runs one instance per connection', async () => {
    const app = URLRouter([path('ws/rooms/<room>/', RoomConsumer)]);
    expect(await firstJson(app, '/ws/rooms/lobby/')).toEqual({ room: 'lobby' });
    expect(await firstJson(app, '/ws/rooms/kitchen/')).toEqual({ room: 'kitchen' });
  });

  it('rePath() takes the class too, and asApp(initOptions) still works', async () => {
    const app = URLRouter([
      rePath(/^ws\/echo\/$/, EchoConsumer),
      path('ws/custom/', EchoConsumer.asApp({ greeting: 'custom' })),
    ]);
    for (const [url, text] of [['/ws/echo/', 'hello'], ['/ws/custom/', 'custom']] as const) {
      const comm = new WebsocketCommunicator(app, url);
      expect((await comm.connect()).connected).toBe(true);
      expect(await comm.receiveFrom()).toBe(text);
      await comm.disconnect();
    }
  });
});

describe('values that are not applications', () => {
  it.each([
    ['a string', 'ChatConsumer', /got string/],
    ['null', null, /got null/],
    ['an object', { asApp: () => async () => {} }, /got object/],
  ])('refuses %s when the route is defined', (_name, value, problem) => {
    expect(refusal(() => path('ws/', value as never)).message).toMatch(problem);
  });

  it('refuses a consumer class method asApp passed without the call', () => {
    const error = refusal(() => path('ws/', RoomConsumer.asApp as never));
    expect(error.message).toMatch(/asApp method itself/);
    refusal(() => rePath('^ws/$', RoomConsumer.asApp.bind(RoomConsumer) as never));
  });

  it('refuses a class that does not extend a consumer, naming it', () => {
    class NotAConsumer {
      async connect(): Promise<void> {}
    }
    const error = refusal(() => path('ws/', NotAConsumer as never));
    expect(error.message).toMatch(/NotAConsumer is a class that does not extend a consumer/);
  });

  it('refuses an express app and a nodeHandler(): they belong in the http branch', () => {
    expect(refusal(() => path('api/', express() as never)).message).toMatch(/ProtocolTypeRouter\(\{ http: app \}\)/);
    const handler = nodeHandler((_req, res) => void res.end());
    refusal(() => path('api/', handler as never));
  });

  it('refuses a function declaring more than (scope, receive, send)', () => {
    const fourParameters = async (_scope: unknown, _receive: unknown, _send: unknown, _extra: unknown) => {};
    expect(refusal(() => path('ws/', fourParameters as never)).message).toMatch(/declares 4 parameters/);
  });

  it('accepts functions of up to three parameters, including rest parameters and plain functions', () => {
    const inner: Application = async () => {};
    expect(() => path('a/', async () => {})).not.toThrow();
    expect(() => path('b/', async (scope) => void scope)).not.toThrow();
    expect(() => path('c/', (...args: Parameters<Application>) => inner(...args))).not.toThrow();
    expect(() => path('d/', async function named(scope, receive, send) { void [scope, receive, send]; })).not.toThrow();
  });

  it('refuses, at its first call, an application that returns a class instead of a promise', async () => {
    const app = URLRouter([path('ws/', (() => RoomConsumer) as never)]);
    const comm = new WebsocketCommunicator(app, '/ws/');
    const result = await comm.connect();
    expect(result).toMatchObject({ connected: false, status: 500 });
    const error = 'error' in result ? result.error : undefined;
    expect(error).toBeInstanceOf(NotAnApplication);
    expect((error as Error).message).toMatch(/returned the consumer class RoomConsumer instead of a promise/);
  });
});
