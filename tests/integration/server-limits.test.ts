/**
 * Limits and bad input through real sockets and raw TCP: oversized and
 * invalid frames, protocol violations, slow readers, dead peers and
 * malformed or idle handshakes. Each misbehaving client is closed with the
 * documented code (or refused with the documented status) and the others
 * keep being served.
 */
import { WebSocket } from 'ws';
import type { Application } from '../../src/application';
import { WebsocketConsumer } from '../../src/consumers';
import { CloseCode } from '../../src/close-codes';
import {
  closeAll,
  connectClient,
  deferred,
  echoApp,
  encodeFrame,
  handshakeRequest,
  parseFrames,
  rawConnect,
  recordingApp,
  startServer,
  type RawSocket,
} from '../helpers';

afterEach(closeAll);

async function rawOpen(port: number, path = '/ws/'): Promise<RawSocket> {
  const raw = await rawConnect(port);
  raw.write(handshakeRequest(path));
  const head = await raw.readHttpHead();
  expect(head.status).toBe(101);
  return raw;
}

describe('frames', () => {
  it('a message over maxPayload closes that client with 1009; others are unaffected', async () => {
    const recorder = recordingApp({
      onMessage: (event, send) => send({ type: 'websocket.send', text: String((event as { text?: string }).text) }),
    });
    const server = await startServer(recorder.app, { maxPayload: 1024 });
    const bystander = await connectClient(`${server.url}/ws/`);
    const offender = await connectClient(`${server.url}/ws/`);
    offender.send('x'.repeat(1025));
    expect((await offender.closed()).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    bystander.send('x'.repeat(1024));
    expect(await bystander.nextText()).toHaveLength(1024);
    const codes = recorder.events.filter((e) => e.type === 'websocket.disconnect').map((e) => e.code);
    expect(codes).toEqual([CloseCode.MESSAGE_TOO_BIG]);
  });

  it('invalid UTF-8 in a text frame closes with 1007 and the app hears 1007', async () => {
    const recorder = recordingApp();
    const server = await startServer(recorder.app);
    const bystander = await connectClient(`${server.url}/ws/`);
    const raw = await rawOpen(server.port);
    raw.write(encodeFrame({ opcode: 0x1, payload: Buffer.from([0x68, 0xc3, 0x28]) }));
    expect((await raw.readCloseFrame()).code).toBe(CloseCode.INVALID_PAYLOAD);
    expect(await recorder.disconnected.promise).toMatchObject({ code: CloseCode.INVALID_PAYLOAD });
    expect(recorder.events.some((e) => e.type === 'websocket.receive')).toBe(false);
    expect(bystander.closedInfo).toBeNull();
  });

  it.each([
    ['an unmasked client frame', encodeFrame({ opcode: 0x1, payload: Buffer.from('hi'), mask: false })],
    ['a reserved opcode', encodeFrame({ opcode: 0x3, payload: Buffer.from('hi') })],
    ['RSV1 without an extension', encodeFrame({ opcode: 0x1, payload: Buffer.from('hi'), rsv1: true })],
    ['a fragmented control frame', encodeFrame({ opcode: 0x9, payload: Buffer.from('hi'), fin: false })],
  ])('%s is a protocol error: 1002', async (_name, frame) => {
    const recorder = recordingApp();
    const server = await startServer(recorder.app);
    const raw = await rawOpen(server.port);
    raw.write(frame);
    expect((await raw.readCloseFrame()).code).toBe(CloseCode.PROTOCOL_ERROR);
    expect(await recorder.disconnected.promise).toMatchObject({ code: CloseCode.PROTOCOL_ERROR });
  });
});

describe('slow consumers', () => {
  const CHUNK = 'y'.repeat(16 * 1024);
  const MAX_MESSAGES = 4096; // 64 MiB: far past any loopback socket buffers, still bounded

  /** Sends numbered 16 KiB messages, yielding between them, until disconnected or MAX_MESSAGES. */
  function floodApp(result: { sent: number; code?: number }): Application {
    return async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      let open = true;
      const watcher = receive().then((event) => {
        open = false;
        result.code = event.code as number;
      });
      for (let i = 0; open && i < MAX_MESSAGES; i++) {
        await send({ type: 'websocket.send', text: `${i}:${CHUNK}` });
        result.sent = i + 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await watcher;
    };
  }

  it('a client that stops reading is closed with 4008 once maxBufferedBytes is passed, in order', async () => {
    const result: { sent: number; code?: number } = { sent: 0 };
    const finished = deferred();
    const app = floodApp(result);
    const server = await startServer((s, r, send) => app(s, r, send).finally(() => finished.resolve()), {
      maxBufferedBytes: 256 * 1024,
      closeTimeout: 10_000,
    });
    const raw = await rawOpen(server.port);
    raw.pause();
    await finished.promise;
    expect(result.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(result.sent).toBeLessThan(MAX_MESSAGES);

    // Everything queued before the close arrives, in order, then the 4008 close frame.
    raw.resume();
    const { code, before } = await raw.readCloseFrame();
    expect(code).toBe(CloseCode.SLOW_CONSUMER);
    expect(before.length).toBe(result.sent);
    before.forEach((frame, index) => {
      expect(frame.payload.subarray(0, 12).toString('latin1').split(':')[0]).toBe(String(index));
    });
  });

  it('a client that keeps reading is never cut off', async () => {
    const result: { sent: number; code?: number } = { sent: 0 };
    const sender: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      for (let i = 0; i < 256; i++) {
        await send({ type: 'websocket.send', text: `${i}:${CHUNK}` });
        result.sent = i + 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await send({ type: 'websocket.close', code: 1000 });
    };
    const server = await startServer(sender, { maxBufferedBytes: 512 * 1024 });
    const client = await connectClient(`${server.url}/ws/`);
    for (let i = 0; i < 256; i++) expect((await client.nextText()).split(':')[0]).toBe(String(i));
    expect((await client.closed()).code).toBe(1000);
  });
});

describe('incoming backpressure', () => {
  it('a flood into an app that is not reading pauses the client, loses nothing and keeps order', async () => {
    const gate = deferred();
    const received: string[] = [];
    const done = deferred();
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      await gate.promise;
      for (;;) {
        const event = await receive();
        if (event.type === 'websocket.disconnect') return;
        received.push(String(event.text));
        if (received.length === 200) {
          await send({ type: 'websocket.send', text: 'got all' });
          done.resolve();
        }
      }
    };
    const server = await startServer(app, { maxQueuedMessages: 8 });
    const client = await connectClient(`${server.url}/ws/`);
    for (let i = 0; i < 199; i++) client.send(String(i));
    await new Promise<void>((resolve) => client.ws.send('199', () => resolve())); // all written client-side
    gate.resolve();
    expect(await client.nextText()).toBe('got all');
    await done.promise;
    expect(received).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });
});

describe('incoming backpressure into a consumer (events pushed, not read)', () => {
  it('pauses a client that floods a busy consumer, resumes it once handled, loses nothing', async () => {
    const pauses = deferred();
    const resumes = deferred();
    const { pause: realPause, resume: realResume } = WebSocket.prototype;
    const pause = jest.spyOn(WebSocket.prototype, 'pause').mockImplementation(function (this: WebSocket) {
      pauses.resolve();
      realPause.call(this);
    });
    const resume = jest.spyOn(WebSocket.prototype, 'resume').mockImplementation(function (this: WebSocket) {
      resumes.resolve();
      realResume.call(this);
    });
    const gate = deferred();
    const received: string[] = [];
    class Slow extends WebsocketConsumer {
      override async receive(text?: string): Promise<void> {
        await gate.promise;
        received.push(String(text));
        if (received.length === 200) await this.send('got all');
      }
    }
    try {
      const server = await startServer(Slow.asApp(), { maxQueuedMessages: 8 });
      const client = await connectClient(`${server.url}/ws/`);
      for (let i = 0; i < 200; i++) client.send(String(i));
      // The consumer is stuck on the first frame: past 8 unhandled events the server stops reading.
      await pauses.promise;
      gate.resolve();
      await resumes.promise;
      expect(await client.nextText()).toBe('got all');
      expect(received).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
    } finally {
      pause.mockRestore();
      resume.mockRestore();
    }
  });
});

describe('heartbeat', () => {
  it('terminates a peer that does not answer pings (1006) and keeps live ones', async () => {
    const recorder = recordingApp({
      onMessage: (event, send) => send({ type: 'websocket.send', text: String((event as { text?: string }).text) }),
    });
    const server = await startServer(recorder.app, { pingInterval: 100, pongTimeout: 200 });
    const live = await connectClient(`${server.url}/ws/live`);
    const dead = await rawOpen(server.port, '/ws/dead'); // reads pings, never answers
    const disconnect = await recorder.disconnected.promise;
    expect(disconnect).toMatchObject({ code: CloseCode.ABNORMAL, reason: 'pong timeout' });
    await dead.waitClosed();
    const pings = parseFrames(dead.buffered).frames.filter((f) => f.opcode === 0x9);
    expect(pings.length).toBeGreaterThanOrEqual(1);
    expect(live.closedInfo).toBeNull();
    live.send('alive');
    expect(await live.nextText()).toBe('alive');
  });
});

describe('malformed and abusive handshakes (raw TCP, the app is never called)', () => {
  const cases: Array<[string, string, number]> = [
    ['a missing Sec-WebSocket-Key', handshakeRequest('/ws/', { 'Sec-WebSocket-Key': null }), 400],
    ['a malformed Sec-WebSocket-Key', handshakeRequest('/ws/', { 'Sec-WebSocket-Key': 'short' }), 400],
    ['a missing Sec-WebSocket-Version', handshakeRequest('/ws/', { 'Sec-WebSocket-Version': null }), 400],
    ['an unsupported version', handshakeRequest('/ws/', { 'Sec-WebSocket-Version': '7' }), 426],
    ['an Upgrade other than websocket', handshakeRequest('/ws/', { Upgrade: 'h2c' }), 400],
    ['an invalid subprotocol list', handshakeRequest('/ws/', { 'Sec-WebSocket-Protocol': 'a,,b' }), 400],
    ['a duplicated subprotocol', handshakeRequest('/ws/', { 'Sec-WebSocket-Protocol': 'a, a' }), 400],
    ['a path that is not valid percent-encoding', handshakeRequest('/ws/%E0%A4%A/'), 400],
    ['a POST upgrade', handshakeRequest('/ws/').replace(/^GET/, 'POST'), 405],
  ];

  it.each(cases)('%s is refused', async (_name, request, status) => {
    const recorder = recordingApp();
    const server = await startServer(recorder.app);
    const raw = await rawConnect(server.port);
    raw.write(request);
    const head = await raw.readHttpHead();
    expect(head.status).toBe(status);
    if (status === 426) expect(head.headers['sec-websocket-version']).toBe('13, 8');
    await raw.waitClosed();
    expect(recorder.scopes).toHaveLength(0);
  });

  it('oversized request headers get 431 (maxHeaderSize, default 16 KiB)', async () => {
    const recorder = recordingApp();
    const server = await startServer(recorder.app);
    const raw = await rawConnect(server.port);
    raw.write(handshakeRequest('/ws/', { 'X-Padding': 'p'.repeat(20 * 1024) }));
    expect((await raw.readHttpHead()).status).toBe(431);
    await raw.waitClosed();
    expect(recorder.scopes).toHaveLength(0);
  });

  it('a TCP connection that sends nothing is closed after idleSocketTimeout', async () => {
    const server = await startServer(echoApp, { idleSocketTimeout: 200 });
    const started = Date.now();
    const raw = await rawConnect(server.port);
    await raw.waitClosed(3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('a client that trickles an incomplete request head is cut off after headersTimeout', async () => {
    const server = await startServer(echoApp, { headersTimeout: 300, idleSocketTimeout: 0 });
    const raw = await rawConnect(server.port);
    raw.write('GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await raw.waitClosed(5_000);
    expect(raw.buffered.toString('latin1')).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a raw client that completes the handshake in time is served normally', async () => {
    const server = await startServer(echoApp, { idleSocketTimeout: 5_000 });
    const raw = await rawOpen(server.port);
    raw.write(encodeFrame({ opcode: 0x1, payload: Buffer.from('ping?') }));
    await raw.waitUntil(() => parseFrames(raw.buffered).frames.length > 0, 'the echo');
    expect(parseFrames(raw.buffered).frames[0]?.payload.toString()).toBe('ping?');
  });
});
