import type { Application } from '../../../src/application';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { HttpCommunicator } from '../../../src/testing/http-communicator';
import { DenyConnection, RouteNotFound, UnexpectedOutput } from '../../../src/errors';

/** Accepts (always naming subprotocol `chat`, offered or not), echoes frames, closes on `close`, throws on `throw`. */
const echo: Application = async (_scope, receive, send) => {
  await receive();
  await send({ type: 'websocket.accept', subprotocol: 'chat', headers: [['x-a', '1']] });
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.disconnect') return;
    if (event.text === 'close') {
      await send({ type: 'websocket.close', code: 4001, reason: 'asked' });
      continue;
    }
    if (event.text === 'throw') throw new Error('handler failed');
    await send({ type: 'websocket.send', text: event.text as string | undefined, bytes: event.bytes as Uint8Array | undefined });
  }
};

describe('WebsocketCommunicator scope', () => {
  it('builds a full websocket scope', async () => {
    const comm = new WebsocketCommunicator(echo, '/ws/chat/café/?a=1&b=%20', {
      headers: [['Origin', 'http://x'], ['Cookie', 'a=1'], ['cookie', 'b=2'], ['X-Many', '1'], ['x-many', '2']],
      subprotocols: ['chat', 'v2'],
      scope: { user: 'ann' },
    });
    expect(comm.scope).toMatchObject({
      type: 'websocket',
      scheme: 'ws',
      path: '/ws/chat/café/',
      rawPath: '/ws/chat/caf%C3%A9/',
      queryString: 'a=1&b=%20',
      rootPath: '',
      headers: { origin: 'http://x', cookie: 'a=1; b=2', 'x-many': '1, 2' },
      client: { host: '127.0.0.1', port: 0 },
      subprotocols: ['chat', 'v2'],
      user: 'ann',
    });
    await comm.stop();
  });

  it('keeps existing escapes in rawPath and decodes them in path', async () => {
    const comm = new WebsocketCommunicator(echo, '/a%20b/');
    expect(comm.scope.rawPath).toBe('/a%20b/');
    expect(comm.scope.path).toBe('/a b/');
    await comm.stop();
  });
});

describe('WebsocketCommunicator', () => {
  it('connects, exchanges text and bytes, and disconnects', async () => {
    const comm = new WebsocketCommunicator(echo, '/', { subprotocols: ['chat'] });
    expect(await comm.connect()).toEqual({ connected: true, subprotocol: 'chat', headers: [['x-a', '1']] });
    await comm.sendTo({ text: 'hello' });
    expect(await comm.receiveFrom()).toBe('hello');
    await comm.sendTo({ bytes: new Uint8Array([1, 2]) });
    expect(await comm.receiveFrom()).toEqual(new Uint8Array([1, 2]));
    await comm.sendJsonTo({ a: 1 });
    expect(await comm.receiveJsonFrom()).toEqual({ a: 1 });
    expect(await comm.receiveNothing(20)).toBe(true);
    await comm.disconnect();
  });

  it('refuses an accept with a subprotocol the client did not offer, as the server does', async () => {
    const comm = new WebsocketCommunicator(echo, '/', { subprotocols: ['v1'] });
    await expect(comm.connect()).rejects.toThrow(
      'connect(): the application accepted with subprotocol "chat", which the client did not offer (offered: ["v1"])',
    );
    await comm.stop();
  });

  it('says what came when a frame was expected', async () => {
    const comm = new WebsocketCommunicator(echo, '/', { subprotocols: ['chat'] });
    await comm.connect();
    await comm.sendTo({ text: 'close' });
    const error = await comm.receiveFrom().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedOutput);
    expect((error as Error).message).toBe(
      'receiveFrom(): expected a websocket.send frame, got websocket.close (code 4001, reason "asked")',
    );
    await comm.disconnect();
  });

  it('receiveClose returns code and reason, and fails clearly on a frame', async () => {
    const comm = new WebsocketCommunicator(echo, '/', { subprotocols: ['chat'] });
    await comm.connect();
    await comm.sendTo({ text: 'x' });
    await expect(comm.receiveClose()).rejects.toThrow('receiveClose(): expected websocket.close, got websocket.send (text "x")');
    await comm.sendTo({ text: 'close' });
    expect(await comm.receiveClose()).toEqual({ code: 4001, reason: 'asked' });
    await comm.disconnect();
  });

  it('receiveJsonFrom names non-JSON text and binary frames', async () => {
    const comm = new WebsocketCommunicator(echo, '/', { subprotocols: ['chat'] });
    await comm.connect();
    await comm.sendTo({ text: 'not json' });
    await expect(comm.receiveJsonFrom()).rejects.toThrow('expected JSON, got text "not json"');
    await comm.sendTo({ bytes: new Uint8Array(3) });
    await expect(comm.receiveJsonFrom()).rejects.toThrow('got a 3-byte binary frame');
    await comm.disconnect();
  });

  it('maps an error after accept to close 1011, as the server does', async () => {
    const comm = new WebsocketCommunicator(echo, '/', { subprotocols: ['chat'] });
    await comm.connect();
    await comm.sendTo({ text: 'throw' });
    expect(await comm.receiveClose()).toEqual({ code: 1011, reason: '' });
    const outcome = await comm.appResult;
    expect(outcome.status === 'rejected' && (outcome.error as Error).message).toBe('handler failed');
  });

  it('times out connect with a message naming the expected events', async () => {
    const silent: Application = () => new Promise<void>(() => {});
    const comm = new WebsocketCommunicator(silent, '/');
    await expect(comm.connect(20)).rejects.toThrow(
      'waited 20 ms for websocket.accept, websocket.close or a denial response, but the application sent nothing',
    );
    await comm.stop();
  });

  describe('refusals', () => {
    it('close before accept is 403 with the close code', async () => {
      const app: Application = async (_s, receive, send) => {
        await receive();
        await send({ type: 'websocket.close', code: 4003 });
      };
      const comm = new WebsocketCommunicator(app, '/');
      expect(await comm.connect()).toEqual({ connected: false, closeCode: 4003, status: 403, reason: '' });
    });

    it('a denial response gives its status and body', async () => {
      const app: Application = async (_s, receive, send) => {
        await receive();
        await send({ type: 'websocket.http.response.start', status: 429, headers: [] });
        await send({ type: 'websocket.http.response.body', body: Buffer.from('slow '), moreBody: true });
        await send({ type: 'websocket.http.response.body', body: Buffer.from('down') });
      };
      const comm = new WebsocketCommunicator(app, '/');
      expect(await comm.connect()).toEqual({ connected: false, status: 429, reason: 'slow down' });
    });

    it('errors map through handshakeStatusOf', async () => {
      const deny: Application = async () => {
        throw new DenyConnection(451, 'legal');
      };
      const miss: Application = async () => {
        throw new RouteNotFound('/nope/');
      };
      const crash: Application = async () => {
        throw new Error('bug');
      };
      expect(await new WebsocketCommunicator(deny, '/').connect()).toMatchObject({ connected: false, status: 451, reason: 'legal' });
      expect(await new WebsocketCommunicator(miss, '/').connect()).toMatchObject({ connected: false, status: 404 });
      const crashed = await new WebsocketCommunicator(crash, '/').connect();
      expect(crashed).toMatchObject({ connected: false, status: 500 });
      expect(!crashed.connected && (crashed.error as Error).message).toBe('bug');
    });

    it('an application returning without accepting is refused with 403', async () => {
      const app: Application = async (_s, receive) => {
        await receive();
      };
      expect(await new WebsocketCommunicator(app, '/').connect()).toMatchObject({ connected: false, status: 403 });
    });
  });
});

describe('HttpCommunicator', () => {
  const app: Application = async (scope, receive, send) => {
    const request = await receive();
    const body = Buffer.from(request.body as Uint8Array).toString();
    const method = scope.type === 'http' ? scope.method : '';
    await send({ type: 'http.response.start', status: 201, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: Buffer.from(`${method} `), moreBody: true });
    await send({ type: 'http.response.body', body: Buffer.from(body) });
  };

  it('collects a whole response', async () => {
    const comm = new HttpCommunicator(app, 'post', '/x?y=1', { body: 'data', headers: { 'Content-Type': 'text/plain' } });
    expect(comm.scope).toMatchObject({ type: 'http', method: 'POST', path: '/x', queryString: 'y=1', headers: { 'content-type': 'text/plain' } });
    const res = await comm.getResponse();
    expect(res).toEqual({ status: 201, headers: [['content-type', 'text/plain']], body: Buffer.from('POST data') });
  });

  it('steps through chunks', async () => {
    const comm = new HttpCommunicator(app, 'GET', '/');
    expect((await comm.receiveResponseStart()).status).toBe(201);
    expect(await comm.receiveBodyChunk()).toEqual({ body: Buffer.from('GET '), more: true });
    expect(await comm.receiveBodyChunk()).toEqual({ body: Buffer.from(''), more: false });
    await comm.wait();
  });
});
