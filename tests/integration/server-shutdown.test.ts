/**
 * Graceful shutdown through real sockets: 1001 to every client, every
 * application's disconnect handling awaited, a hard bound, no new
 * connections, and the channel layers closed last.
 */
import type { Application } from '../../src/application';
import { CloseCode } from '../../src/close-codes';
import { closeChannelLayers, configureChannelLayers, getChannelLayer } from '../../src/layers/registry';
import { createServer } from '../../src/server/server';
import { closeAll, connectClient, deferred, recordingApp, startServer, tryConnect } from '../helpers';
import { withTimeout } from '../helpers/deadline';

afterEach(closeAll);
afterAll(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
});

describe('close()', () => {
  it('closes every client with 1001 and waits for every disconnect handler', async () => {
    const order: string[] = [];
    const recorder = recordingApp({
      onDisconnect: async (event) => {
        order.push(`disconnect ${String(event.code)}`);
        // Simulated cleanup work (a group_discard, a database write ...).
        await new Promise((resolve) => setTimeout(resolve, 50));
        order.push('handler done');
      },
    });
    const server = await startServer(recorder.app);
    const clients = await Promise.all([1, 2, 3].map((n) => connectClient(`${server.url}/ws/${n}`)));
    expect(server.server.connectionCount).toBe(3);

    await server.server.close({ timeoutMs: 5_000 });
    order.push('close resolved');

    for (const client of clients) expect(await client.closed()).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server shutting down' });
    expect(order.filter((entry) => entry === 'handler done')).toHaveLength(3);
    expect(order[order.length - 1]).toBe('close resolved');
    expect(order.filter((entry) => entry.startsWith('disconnect'))).toEqual(Array(3).fill('disconnect 1001'));
    expect(server.server.connectionCount).toBe(0);
    expect(server.server.address()).toBeNull();
  });

  it('is bounded by timeoutMs when a handler never finishes', async () => {
    const never = new Promise<void>(() => {});
    const recorder = recordingApp({ onDisconnect: () => never });
    const server = await startServer(recorder.app);
    const client = await connectClient(`${server.url}/ws/`);
    const started = Date.now();
    await withTimeout(server.server.close({ timeoutMs: 300 }), 3_000, 'a bounded close');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2_000);
    expect((await client.closed()).code).toBe(CloseCode.GOING_AWAY);
  });

  it('refuses handshakes still in progress with 503 and accepts no new connections', async () => {
    const waiting = deferred();
    const slowToDecide: Application = async (_scope, receive) => {
      await receive();
      waiting.resolve();
      await receive(); // the disconnect that the shutdown delivers
    };
    const server = await startServer(slowToDecide);
    const pending = tryConnect(`${server.url}/ws/`);
    await waiting.promise;
    const closing = server.server.close({ timeoutMs: 2_000 });
    expect(await pending).toMatchObject({ ok: false, status: 503 });
    await closing;
    await expect(tryConnect(`${server.url}/ws/`)).rejects.toThrow(/ECONNREFUSED/);
    await expect(server.server.listen()).rejects.toMatchObject({ code: 'ERR_SERVER_CLOSED' });
  });

  it('returns the same promise when called twice', async () => {
    const server = await startServer(recordingApp().app);
    const first = server.server.close();
    expect(server.server.close()).toBe(first);
    await first;
  });

  it('closes the channel layers last (closeLayers, default true)', async () => {
    await closeChannelLayers();
    configureChannelLayers({ default: 'memory://' });
    const layer = getChannelLayer() as unknown as { closed: boolean };
    const sawLayerOpen = deferred<boolean>();
    const recorder = recordingApp({
      onDisconnect: async () => {
        sawLayerOpen.resolve(!layer.closed);
      },
    });
    const server = createServer(recorder.app, { onError: () => {} });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connectClient(`ws://127.0.0.1:${port}/ws/`);
    await server.close({ timeoutMs: 2_000 });
    expect(await sawLayerOpen.promise).toBe(true);
    expect(layer.closed).toBe(true);
    expect((await client.closed()).code).toBe(CloseCode.GOING_AWAY);
  });

  it('leaves the channel layers open with closeLayers: false', async () => {
    await closeChannelLayers();
    configureChannelLayers({ default: 'memory://' });
    const layer = getChannelLayer() as unknown as { closed: boolean };
    const server = await startServer(recordingApp().app, { closeLayers: false });
    await server.server.close({ timeoutMs: 1_000 });
    expect(layer.closed).toBe(false);
    await closeChannelLayers();
  });
});
