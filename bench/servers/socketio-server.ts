/**
 * The Socket.IO 4 peer: the bench's chat protocol on Socket.IO, as its users
 * write it. A client connects to `/socket.io/?EIO=4&transport=websocket&room=<room>`
 * and is put in that room; an event `message` with `{message: text}` is checked
 * (as the other servers check it) and emitted to the whole room, sender
 * included, as `message` `{message: text}`.
 *
 * argv[2] `memory`: Socket.IO's in-memory adapter. `redis`: `@socket.io/redis-adapter`
 * on BENCH_REDIS_URL, channel prefix BENCH_PREFIX, so several processes share
 * rooms: it emits to local members at once and publishes once for the others,
 * ignoring its own copy by its uid.
 */
import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { runServerChild } from './server-child';

runServerChild(async () => {
  const mode = process.argv[2] ?? 'memory';
  if (mode !== 'memory' && mode !== 'redis') throw new Error(`unknown adapter ${mode}; use memory or redis`);
  const server = http.createServer();
  // WebSocket only, no compression: the same transport the other servers get.
  const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 1 << 20, cors: undefined });
  const clients: Array<{ quit(): Promise<unknown> }> = [];
  if (mode === 'redis') {
    const url = process.env.BENCH_REDIS_URL;
    if (!url) throw new Error('the redis adapter needs BENCH_REDIS_URL');
    const pub = createClient({ url });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    clients.push(pub, sub);
    io.adapter(createAdapter(pub, sub, { key: process.env.BENCH_PREFIX ?? 'swbench' }));
  }
  io.on('connection', (socket) => {
    const room = String(socket.handshake.query.room ?? '');
    void socket.join(room);
    socket.on('message', (content: unknown) => {
      const message = (content as { message?: unknown } | null)?.message;
      if (typeof message !== 'string') return;
      io.to(room).emit('message', { message });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    },
  };
});
