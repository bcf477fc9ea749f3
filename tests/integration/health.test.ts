/**
 * /healthz and /readyz through real sockets: liveness follows the event
 * loop, readiness follows the channel layer (a throwaway redis-server killed
 * and restarted) and turns 503 first at shutdown, while connections are
 * still open.
 */
import * as net from 'node:net';
import { CloseCode } from '../../src/close-codes';
import { closeChannelLayers, configureChannelLayers } from '../../src/layers/registry';
import { closeAll, connectClient, echoApp, startServer } from '../helpers';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';

afterEach(async () => {
  await closeAll();
  await closeChannelLayers();
  configureChannelLayers(null);
});

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('health endpoints', () => {
  it('are off unless asked for: the application gets /healthz', async () => {
    const server = await startServer(echoApp);
    const response = await fetch(`${server.httpUrl}/healthz`);
    expect(response.status).not.toBe(200);
    await response.arrayBuffer();
  });

  it('answer 200 on the default paths and HEAD, off the WebSocket path', async () => {
    const server = await startServer(echoApp, { health: true });
    expect(await get(`${server.httpUrl}/healthz`)).toEqual({ status: 200, body: { status: 'ok', eventLoopDelayMs: expect.any(Number) } });
    expect(await get(`${server.httpUrl}/readyz?probe=1`)).toEqual({ status: 200, body: { status: 'ready' } });
    const head = await fetch(`${server.httpUrl}/readyz`, { method: 'HEAD' });
    expect([head.status, head.headers.get('cache-control')]).toEqual([200, 'no-store']);
    // The WebSocket path is untouched.
    const client = await connectClient(`${server.url}/ws/`);
    client.send('hi');
    expect(await client.nextText()).toBe('hi');
  });

  it('serve configured paths only', async () => {
    const server = await startServer(echoApp, { health: { livePath: '/live', readyPath: '/ready' } });
    expect((await get(`${server.httpUrl}/live`)).status).toBe(200);
    expect((await get(`${server.httpUrl}/ready`)).status).toBe(200);
  });

  it('liveness answers 503 after the event loop stalled beyond the bound, then recovers', async () => {
    const server = await startServer(echoApp, { health: { maxEventLoopDelay: 100 } });
    expect((await get(`${server.httpUrl}/healthz`)).status).toBe(200);
    // The request is in the server's socket buffer before the loop blocks: it is read right after the stall.
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const ended = new Promise((resolve) => socket.once('close', resolve));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const until = Date.now() + 400;
    while (Date.now() < until) {
      // Synchronous work: the loop is stalled.
    }
    await ended;
    const stalled = { status: Number(answer.slice(9, 12)), body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown> };
    expect(stalled.status).toBe(503);
    expect(stalled.body.status).toBe('stalled');
    expect(stalled.body.eventLoopDelayMs as number).toBeGreaterThan(100);
    let last = 0;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      last = (await get(`${server.httpUrl}/healthz`)).status;
      if (last === 200) break;
    }
    expect(last).toBe(200);
  });

  it('readiness turns 503 at close() before connections are closed, for the drain delay', async () => {
    const server = await startServer(echoApp, { health: { drainDelay: 400 } });
    const client = await connectClient(`${server.url}/ws/`);
    const closing = server.server.close({ timeoutMs: 5_000 });
    const ready = await get(`${server.httpUrl}/readyz`);
    expect(ready).toEqual({ status: 503, body: { status: 'draining' } });
    // Still serving: the open connection works, a new one is accepted, liveness is fine.
    client.send('still here');
    expect(await client.nextText()).toBe('still here');
    const late = await connectClient(`${server.url}/ws/`);
    expect((await get(`${server.httpUrl}/healthz`)).status).toBe(200);
    await closing;
    expect(await client.closed()).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server shutting down' });
    expect((await late.closed()).code).toBe(CloseCode.GOING_AWAY);
  });
});

describe('readiness and a Redis layer', () => {
  let redis: ThrowawayRedis | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('is 503 while Redis is down and 200 again once it is back', async () => {
    redis = await startThrowawayRedis();
    configureChannelLayers({ default: `${redis.url}/0?prefix=health${process.pid}` });
    const server = await startServer(echoApp, { health: { layerTimeout: 500 }, closeLayers: true });
    expect(await get(`${server.httpUrl}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });

    const exited = new Promise((resolve) => redis!.process.once('exit', resolve));
    redis.process.kill('SIGKILL');
    await exited;
    let down = { status: 0, body: {} as Record<string, unknown> };
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && down.status !== 503; ) {
      down = await get(`${server.httpUrl}/readyz`);
    }
    // No host, port or error text for whoever can reach the endpoint.
    expect(down).toEqual({ status: 503, body: { status: 'unavailable', layer: 'unreachable' } });
    expect((await get(`${server.httpUrl}/healthz`)).status).toBe(200);

    redis = await startThrowawayRedis([], redis.port);
    let up = down;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && up.status !== 200; ) {
      up = await get(`${server.httpUrl}/readyz`);
    }
    expect(up).toEqual({ status: 200, body: { status: 'ready' } });
  });
});
