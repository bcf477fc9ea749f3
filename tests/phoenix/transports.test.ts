/**
 * Transports and wire formats: long-poll (the semantics of
 * phoenix/test/phoenix/integration/long_poll_channels_test.exs,
 * "long_poll_channels_test"), serializer 1.0.0 and 2.0.0 with binary frames
 * (test/phoenix/socket/v1_json_serializer_test.exs, v2_json_serializer_test.exs),
 * malformed frames, and phoenix.js reconnecting to a restarted server.
 */
import WebSocket from 'ws';
import { closeAll, connectClient, waitFor } from '../helpers';
import { createServer } from '../../src/server/server';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path } from '../../src/routing/url-router';
import { PhoenixConnection } from '../../src/phoenix/socket-connection';
import { V1_SERIALIZER, V2_SERIALIZER } from '../../src/phoenix/serializer';
import { userSocket } from './fixtures';
import { collect, connected, joined, phxSocket, pushed } from './phoenix-clients';
import { startPhoenix, type PhoenixServer } from './start-phoenix';

const quiet = { warn: jest.fn(), error: jest.fn() };
let server: PhoenixServer;

beforeEach(async () => {
  PhoenixConnection.logger = quiet;
  quiet.warn.mockClear();
  server = await startPhoenix(userSocket({ longpoll: { windowMs: 300 } }));
});
afterEach(closeAll);

async function getJson(url: string, init?: RequestInit): Promise<any> {
  const response = await fetch(url, init);
  expect(response.status).toBe(200);
  return response.json();
}

describe('long-poll', () => {
  test('long_poll_channels_test: joins and poll messages; a long-poll client and a WebSocket client exchange messages', async () => {
    const lp = phxSocket(server.endpoint, { params: { token: 'lp' }, longpoll: true });
    const ws = phxSocket(server.endpoint, { params: { token: 'ws' } });
    await connected(lp);
    await connected(ws);
    expect((lp as unknown as { transport: unknown }).transport).not.toBe(WebSocket);
    const lpRoom = lp.channel('room:lobby');
    const wsRoom = ws.channel('room:lobby');
    expect(await joined(lpRoom)).toMatchObject({ status: 'ok', response: { user: 'lp' } });
    await joined(wsRoom);
    const atLp = collect(lpRoom, 'new_msg');
    const atWs = collect(wsRoom, 'new_msg');
    expect((await pushed(lpRoom, 'new_msg', { body: 'from long-poll' })).status).toBe('ok');
    expect(await atWs.next(1)).toEqual([{ body: 'from long-poll', user: 'lp' }]);
    await pushed(wsRoom, 'new_msg', { body: 'from websocket' });
    expect(await atLp.next(2)).toEqual([
      { body: 'from long-poll', user: 'lp' },
      { body: 'from websocket', user: 'ws' },
    ]);
    expect(await pushed(lpRoom, 'refuse', {})).toEqual({ status: 'error', response: { reason: 'refused' } });
  });

  test('long_poll_channels_test: refuses connects that error with 403 response (body {status: 403})', async () => {
    expect(await getJson(`${server.httpUrl}/socket/longpoll?token=bad&vsn=2.0.0`)).toEqual({ status: 403 });
    expect(await getJson(`${server.httpUrl}/socket/longpoll?vsn=2.0.0`)).toEqual({ status: 403 });
  });

  test('long_poll_channels_test: shuts down after timeout (a session whose client stops polling ends; its POSTs get 410)', async () => {
    const opened = await getJson(`${server.httpUrl}/socket/longpoll?token=x&vsn=2.0.0&token=null`);
    expect(opened).toMatchObject({ status: 410, token: expect.any(String) });
    const url = `${server.httpUrl}/socket/longpoll?token=x&vsn=2.0.0&token=${encodeURIComponent(opened.token)}`;
    const post = (body: string) => getJson(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(await post(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]))).toEqual({ status: 200 });
    // The heartbeat reply waits for the next GET.
    expect(await getJson(url)).toEqual({ status: 200, token: opened.token, messages: [JSON.stringify([null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }])] });
    // An empty poll is held for the window, then answered 204 with the token.
    expect(await getJson(url)).toEqual({ status: 204, token: opened.token, messages: [] });
    // No poll for longer than windowMs (300): the session ends; a POST then gets 410 (bounded retries).
    let status = 200;
    for (let i = 0; i < 30 && status !== 410; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await post(JSON.stringify([null, '2', 'phoenix', 'heartbeat', {}]))).status;
    }
    expect(status).toBe(410);
  });

  test('long_poll_channels_test: lonpoll publishing batch events on v2 protocol (newline-separated frames, one reply each)', async () => {
    const opened = await getJson(`${server.httpUrl}/socket/longpoll?token=batch&vsn=2.0.0&token=null`);
    const url = `${server.httpUrl}/socket/longpoll?token=x&vsn=2.0.0&token=${encodeURIComponent(opened.token)}`;
    const frames = [
      JSON.stringify(['1', '1', 'room:lobby', 'phx_join', {}]),
      JSON.stringify(['1', '2', 'room:lobby', 'ping', { n: 2 }]),
      JSON.stringify(['1', '3', 'room:lobby', 'ping', { n: 3 }]),
    ];
    expect(await getJson(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: frames.join('\n') })).toEqual({ status: 200 });
    const messages: string[] = [];
    for (let i = 0; i < 5 && messages.length < 3; i++) messages.push(...(await getJson(url)).messages);
    expect(messages.map((m) => JSON.parse(m)[1])).toEqual(['1', '2', '3']);
    expect(JSON.parse(messages[2]!)[4]).toEqual({ status: 'ok', response: { pong: { n: 3 } } });
  });
});

describe('serializers', () => {
  test('v1_json_serializer_test: 1.0.0 speaks JSON objects {topic, event, payload, ref}', async () => {
    const client = await connectClient(`${server.url}/socket/websocket?token=v1&vsn=1.0.0`);
    client.sendJson({ topic: 'room:lobby', event: 'phx_join', payload: { a: 1 }, ref: '1' });
    expect(await client.nextJson()).toEqual({
      topic: 'room:lobby',
      event: 'phx_reply',
      payload: { status: 'ok', response: { topic: 'room:lobby', user: 'v1', echo: { a: 1 } } },
      ref: '1',
    });
    client.sendJson({ topic: 'room:lobby', event: 'new_msg', payload: { body: 'hi' }, ref: '2' });
    const frames = [await client.nextJson(), await client.nextJson()];
    expect(frames).toContainEqual({ topic: 'room:lobby', event: 'new_msg', payload: { body: 'hi', user: 'v1' }, ref: null });
    expect(frames).toContainEqual({ topic: 'room:lobby', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '2' });
  });

  test('v2_json_serializer_test: encode and decode round trips, including the binary kinds', () => {
    const push = { joinRef: '1', ref: null, topic: 'room:lobby', event: 'new_msg', payload: { body: 'x' } };
    expect(V2_SERIALIZER.encode(push)).toBe('["1",null,"room:lobby","new_msg",{"body":"x"}]');
    expect(V2_SERIALIZER.decode('["1","2","t","e",{"a":1}]', undefined)).toEqual({ joinRef: '1', ref: '2', topic: 't', event: 'e', payload: { a: 1 } });
    expect(V1_SERIALIZER.encode(push)).toBe('{"topic":"room:lobby","event":"new_msg","payload":{"body":"x"},"ref":null}');
    // binary broadcast: kind 2, topic and event lengths, then the strings and the bytes
    const broadcastFrame = V2_SERIALIZER.encode({ joinRef: null, ref: null, topic: 'ab', event: 'c', payload: new Uint8Array([9]) });
    expect([...(broadcastFrame as Uint8Array)]).toEqual([2, 2, 1, 97, 98, 99, 9]);
    // binary push: kind 0, join_ref/topic/event lengths
    const pushFrame = V2_SERIALIZER.encode({ joinRef: '7', ref: null, topic: 't', event: 'e', payload: new Uint8Array([1, 2]) });
    expect([...(pushFrame as Uint8Array)]).toEqual([0, 1, 1, 1, 55, 116, 101, 1, 2]);
    // binary reply: kind 1, join_ref/ref/topic/status lengths
    const replyFrame = V2_SERIALIZER.encode({ joinRef: '7', ref: '8', topic: 't', event: 'phx_reply', payload: { status: 'ok', response: new Uint8Array([5]) } });
    expect([...(replyFrame as Uint8Array)]).toEqual([1, 1, 1, 1, 2, 55, 56, 116, 111, 107, 5]);
    // a client's binary push decodes with its bytes
    expect(V2_SERIALIZER.decode(undefined, new Uint8Array([0, 1, 1, 1, 1, 55, 56, 116, 101, 4]))).toEqual({ joinRef: '7', ref: '8', topic: 't', event: 'e', payload: new Uint8Array([4]) });
    // malformed input is null, never a throw
    for (const bad of ['', 'nope', '{}', '[1,2,3]', '[null,null,5,"e",{}]', '[{},null,"t","e",{}]']) expect(V2_SERIALIZER.decode(bad, undefined)).toBeNull();
    expect(V2_SERIALIZER.decode(undefined, new Uint8Array([0, 9, 9, 9, 9]))).toBeNull();
    expect(V2_SERIALIZER.decode(undefined, new Uint8Array([1, 0, 0, 0, 0]))).toBeNull();
    expect(V1_SERIALIZER.decode('[1]', undefined)).toBeNull();
  });

  test('binary payloads with phoenix.js: a binary push gets a binary reply and a binary push back', async () => {
    const socket = phxSocket(server.endpoint, { params: { token: 'bin' } });
    await connected(socket);
    const room = socket.channel('room:lobby');
    await joined(room);
    const pushes = collect<ArrayBuffer>(room, 'binary');
    const reply = await pushed(room, 'binary', new Uint8Array([1, 2, 3]).buffer);
    expect(reply.status).toBe('ok');
    expect([...new Uint8Array(reply.response as ArrayBuffer)]).toEqual([1, 2, 3]);
    const [echoed] = await pushes.next(1);
    expect([...new Uint8Array(echoed!)]).toEqual([3, 2, 1]);
  });
});

describe('robustness', () => {
  test('malformed frames are dropped: no crash, no 1011, the socket keeps answering', async () => {
    const client = await connectClient(`${server.url}/socket/websocket?token=m&vsn=2.0.0`);
    for (const frame of ['not json', '{"a":1}', '[1,2]', '[null,"1",5,"e",{}]', '']) client.send(frame);
    client.send(new Uint8Array([7, 7, 7]));
    client.sendJson([null, '9', 'phoenix', 'heartbeat', {}]);
    expect(await client.nextJson()).toEqual([null, '9', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    expect(quiet.warn).toHaveBeenCalledTimes(1);
    expect(server.errors).toEqual([]);
  });

  test('after a server restart phoenix.js reconnects and rejoins on its own', async () => {
    const socket = phxSocket(server.endpoint, { params: { token: 'r' } });
    await connected(socket);
    const room = socket.channel('room:lobby');
    let joins = 0;
    room.join().receive('ok', () => {
      joins++;
    });
    await waitFor(() => joins === 1, 3000, 'first join');
    const port = server.port;
    await server.close();
    // The same application on the same port: a restarted server.
    const router = URLRouter([path('socket/', userSocket())]);
    const again = createServer(ProtocolTypeRouter({ websocket: router, http: router }), { closeLayers: false });
    await again.listen(port, '127.0.0.1');
    try {
      await waitFor(() => joins === 2, 5000, 'phoenix.js to rejoin after reconnecting');
      expect((await pushed(room, 'ping', { back: true })).response).toEqual({ pong: { back: true } });
    } finally {
      await new Promise<void>((resolve) => socket.disconnect(() => resolve()));
      await again.close({ timeoutMs: 1000 });
    }
  });
});
