/**
 * The WebSocket side of the server through real sockets: accept with
 * subprotocol and headers, the scope, refusals as HTTP statuses, errors
 * after accept, and the receive/send contract.
 */
import type { Application, Event } from '../../src/application';
import { CloseCode } from '../../src/close-codes';
import { AuthenticationFailed, DenyConnection } from '../../src/errors';
import { URLRouter, path } from '../../src/routing/url-router';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import {
  closeAll,
  connectClient,
  deferred,
  echoApp,
  recordingApp,
  startServer,
  tryConnect,
  waitFor,
} from '../helpers';

afterEach(closeAll);

describe('accepting', () => {
  it('echoes text and bytes, and reports the client close code to the app', async () => {
    const recorder = recordingApp({
      onMessage: async (event, send) => {
        const { text, bytes } = event as { text?: string; bytes?: Uint8Array };
        await send(text !== undefined ? { type: 'websocket.send', text: `echo:${text}` } : { type: 'websocket.send', bytes });
      },
    });
    const server = await startServer(recorder.app);
    const client = await connectClient(`${server.url}/ws/echo/`);
    client.send('héllo');
    expect(await client.nextText()).toBe('echo:héllo');
    client.send(Buffer.from([0, 1, 255]));
    expect([...(await client.nextBytes())]).toEqual([0, 1, 255]);
    expect(await client.close(4321, 'bye')).toEqual({ code: 4321, reason: 'bye' });
    expect(await recorder.disconnected.promise).toEqual({ type: 'websocket.disconnect', code: 4321, reason: 'bye' });
    const received = recorder.events.filter((e) => e.type === 'websocket.receive');
    expect(received[0]).toEqual({ type: 'websocket.receive', text: 'héllo' });
    expect(Buffer.from((received[1] as unknown as { bytes: Uint8Array }).bytes)).toEqual(Buffer.from([0, 1, 255]));
  });

  it('builds the websocket scope from the request', async () => {
    const recorder = recordingApp({
      onConnect: (scope, send) => send({ type: 'websocket.accept', subprotocol: (scope.subprotocols as string[])[0] }),
    });
    const server = await startServer(recorder.app);
    const client = await connectClient(`${server.url}/ws/caf%C3%A9/room?x=1&y=%20`, {
      protocols: ['v2.chat', 'v1.chat'],
      headers: { 'X-Custom': 'yes', Cookie: 'a=1' },
    });
    expect(client.protocol).toBe('v2.chat');
    const scope = recorder.scopes[0] as Record<string, unknown>;
    expect(scope).toMatchObject({
      type: 'websocket',
      scheme: 'ws',
      path: '/ws/café/room',
      rawPath: '/ws/caf%C3%A9/room',
      queryString: 'x=1&y=%20',
      rootPath: '',
      subprotocols: ['v2.chat', 'v1.chat'],
      client: { host: '127.0.0.1', port: expect.any(Number) },
      server: { host: '127.0.0.1', port: server.port },
    });
    const headers = scope.headers as Record<string, string>;
    expect(headers['x-custom']).toBe('yes');
    expect(headers.cookie).toBe('a=1');
    expect(headers['sec-websocket-protocol']).toBe('v2.chat,v1.chat');
    expect(Object.keys(headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('negotiates the subprotocol the app picks and sends its extra headers', async () => {
    const recorder = recordingApp({
      onConnect: (_scope, send) =>
        send({ type: 'websocket.accept', subprotocol: 'v1.chat', headers: [['X-Server', 'switchyard'], ['Set-Cookie', 'k=v']] }),
    });
    const server = await startServer(recorder.app);
    const client = await connectClient(`${server.url}/ws/`, { protocols: ['v2.chat', 'v1.chat'] });
    expect(client.protocol).toBe('v1.chat');
    expect(client.upgradeResponse?.headers['x-server']).toBe('switchyard');
    expect(client.upgradeResponse?.headers['set-cookie']).toEqual(['k=v']);
  });

  it('refuses accept with a subprotocol the client did not offer (500, reported)', async () => {
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept', subprotocol: 'made-up' });
    };
    const server = await startServer(app);
    const outcome = await tryConnect(`${server.url}/ws/`, { protocols: ['real'] });
    expect(outcome).toMatchObject({ ok: false, status: 500 });
    expect(server.errors).toHaveLength(1);
    expect(server.errors[0]).toMatchObject({ code: 'ERR_INVALID_EVENT' });
  });

  it('rejects header injection in accept headers', async () => {
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept', headers: [['X-Evil', 'a\r\nSet-Cookie: stolen=1']] });
    };
    const server = await startServer(app);
    const outcome = await tryConnect(`${server.url}/ws/`);
    expect(outcome).toMatchObject({ ok: false, status: 500 });
    expect(server.errors[0]).toMatchObject({ code: 'ERR_INVALID_EVENT' });
  });
});

describe('refusing before accept', () => {
  it('close before accept is 403', async () => {
    const server = await startServer(recordingApp({ onConnect: (_s, send) => send({ type: 'websocket.close' }) }).app);
    expect(await tryConnect(`${server.url}/ws/`)).toMatchObject({ ok: false, status: 403 });
  });

  it('an app that returns without accepting is refused with 403', async () => {
    const app: Application = async (_scope, receive) => {
      await receive();
    };
    const server = await startServer(app);
    expect(await tryConnect(`${server.url}/ws/`)).toMatchObject({ ok: false, status: 403 });
  });

  it('DenyConnection carries its status, reason and headers', async () => {
    const app: Application = async (_scope, receive) => {
      await receive();
      throw new DenyConnection(429, 'slow down', [['Retry-After', '7']]);
    };
    const server = await startServer(app);
    const outcome = await tryConnect(`${server.url}/ws/`);
    expect(outcome).toMatchObject({ ok: false, status: 429, body: 'slow down' });
    expect(outcome.ok === false && outcome.headers['retry-after']).toBe('7');
    expect(server.errors).toEqual([]);
  });

  it('catalogue errors map to their status (401 for AuthenticationFailed)', async () => {
    const app: Application = async () => {
      throw new AuthenticationFailed('bad token');
    };
    const server = await startServer(app);
    expect(await tryConnect(`${server.url}/ws/`)).toMatchObject({ ok: false, status: 401 });
  });

  it('websocket.http.response.* sends a response of the app’s choosing', async () => {
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.http.response.start', status: 418, headers: [['content-type', 'application/json']] });
      await send({ type: 'websocket.http.response.body', body: Buffer.from('{"tea":'), moreBody: true });
      await send({ type: 'websocket.http.response.body', body: Buffer.from('true}') });
    };
    const server = await startServer(app);
    const outcome = await tryConnect(`${server.url}/ws/`);
    expect(outcome).toMatchObject({ ok: false, status: 418, body: '{"tea":true}' });
    expect(outcome.ok === false && outcome.headers['content-type']).toBe('application/json');
  });

  it('an unknown route is 404 and a throwing app is 500; the app error is reported', async () => {
    const boom: Application = async () => {
      throw new Error('boom');
    };
    const application = ProtocolTypeRouter({
      websocket: URLRouter([path('ws/echo/', echoApp), path('ws/boom/', boom)]),
    });
    const server = await startServer(application);
    expect(await tryConnect(`${server.url}/ws/nowhere/`)).toMatchObject({ ok: false, status: 404 });
    expect(await tryConnect(`${server.url}/ws/boom/`)).toMatchObject({ ok: false, status: 500, body: '500 Internal Server Error' });
    expect(server.errors).toHaveLength(1);
    expect((server.errors[0] as Error).message).toBe('boom');
    const client = await connectClient(`${server.url}/ws/echo/`);
    client.send('still up');
    expect(await client.nextText()).toBe('still up');
  });

  it('the app gets websocket.disconnect (1006) after a refusal', async () => {
    const recorder = recordingApp({ onConnect: (_s, send) => send({ type: 'websocket.close' }) });
    const server = await startServer(recorder.app);
    await tryConnect(`${server.url}/ws/`);
    expect(await recorder.disconnected.promise).toMatchObject({ type: 'websocket.disconnect', code: CloseCode.ABNORMAL });
  });

  it('refuses with 504 when the app neither accepts nor denies within handshakeTimeout', async () => {
    const recorder = recordingApp({ onConnect: async () => {} });
    const server = await startServer(recorder.app, { handshakeTimeout: 100 });
    const outcome = await tryConnect(`${server.url}/ws/`);
    expect(outcome).toMatchObject({ ok: false, status: 504 });
    expect(await recorder.disconnected.promise).toMatchObject({ code: CloseCode.ABNORMAL });
  });

  it('refuses with 503 (ServerBusy) beyond maxConnections, and admits again once one leaves', async () => {
    const server = await startServer(echoApp, { maxConnections: 2 });
    const a = await connectClient(`${server.url}/a`);
    await connectClient(`${server.url}/b`);
    const refused = await tryConnect(`${server.url}/c`);
    expect(refused).toMatchObject({ ok: false, status: 503 });
    expect(refused.ok === false && refused.body).toMatch(/connection limit \(2\)/);
    expect(server.server.connectionCount).toBe(2);
    await a.close();
    await waitFor(() => server.server.connectionCount === 1, 2_000, 'the closed connection to be released');
    const again = await connectClient(`${server.url}/c`);
    again.send('in');
    expect(await again.nextText()).toBe('in');
  });
});

describe('after accept', () => {
  it('a throwing app closes only its own connection with 1011', async () => {
    const app: Application = async (scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      for (;;) {
        const event = await receive();
        if (event.type === 'websocket.disconnect') return;
        if (event.text === 'explode') throw new Error('handler failed');
        await send({ type: 'websocket.send', text: String(event.text) });
      }
    };
    const server = await startServer(app);
    const victim = await connectClient(`${server.url}/ws/`);
    const bystander = await connectClient(`${server.url}/ws/`);
    victim.send('explode');
    expect(await victim.closed()).toEqual({ code: 1011, reason: 'internal error' });
    expect((server.errors[0] as Error).message).toBe('handler failed');
    bystander.send('still here');
    expect(await bystander.nextText()).toBe('still here');
    const newcomer = await connectClient(`${server.url}/ws/`);
    newcomer.send('new');
    expect(await newcomer.nextText()).toBe('new');
  });

  it('websocket.close sends the app’s code and reason; the app hears its own close', async () => {
    const recorder = recordingApp({
      onMessage: (_event, send) => send({ type: 'websocket.close', code: 4000, reason: 'done here' }),
    });
    const server = await startServer(recorder.app);
    const client = await connectClient(`${server.url}/ws/`);
    client.send('close please');
    expect(await client.closed()).toEqual({ code: 4000, reason: 'done here' });
    expect(await recorder.disconnected.promise).toEqual({ type: 'websocket.disconnect', code: 4000, reason: 'done here' });
  });

  it('an app that returns after accept closes the connection with 1000', async () => {
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: 'bye' });
    };
    const server = await startServer(app);
    const client = await connectClient(`${server.url}/ws/`);
    expect(await client.nextText()).toBe('bye');
    expect(await client.closed()).toMatchObject({ code: 1000 });
  });

  it('send after close is a no-op and receive after disconnect returns the disconnect again', async () => {
    const outcome = deferred<{ again: Event; sendResult: unknown }>();
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      const first = await receive();
      expect(first.type).toBe('websocket.disconnect');
      const sendResult = await send({ type: 'websocket.send', text: 'into the void' }).then(() => 'ok', (e: unknown) => e);
      outcome.resolve({ again: await receive(), sendResult });
    };
    const server = await startServer(app);
    const client = await connectClient(`${server.url}/ws/`);
    await client.close(1000);
    const { again, sendResult } = await outcome.promise;
    expect(sendResult).toBe('ok');
    expect(again).toMatchObject({ type: 'websocket.disconnect', code: 1000 });
  });

  it('send before accept and unknown events are InvalidEvent errors (500 before accept)', async () => {
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.send', text: 'too early' });
    };
    const server = await startServer(app);
    expect(await tryConnect(`${server.url}/ws/`)).toMatchObject({ ok: false, status: 500 });
    expect(server.errors[0]).toMatchObject({ code: 'ERR_INVALID_EVENT' });
  });

  it('a client that drops the TCP connection is reported as 1006', async () => {
    const recorder = recordingApp();
    const server = await startServer(recorder.app);
    const client = await connectClient(`${server.url}/ws/`);
    client.terminate();
    expect(await recorder.disconnected.promise).toMatchObject({ code: CloseCode.ABNORMAL });
    await waitFor(() => server.server.connectionCount === 0, 2_000, 'the connection to be released');
  });
});
