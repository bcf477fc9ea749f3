/**
 * The baseline: the demo's wire protocol written by hand on `ws`, no framework.
 * Rooms are keyed by the URL `/ws/chat/<room>/`; a client sends
 * `{"message": text}` and every member of the room, sender included, gets
 * `{"message": text}`. The message is parsed and checked (as any real server
 * would), serialized once, and the same string goes to every member.
 *
 * With argv[2] `cork` (the `rawcork` reference server) each member's socket
 * is corked on its first frame in a tick and uncorked on `process.nextTick`,
 * so the frames of one event-loop turn leave in one `writev`: the most a
 * server saves this way (Switchyard's connection, src/server/tick-cork.ts,
 * coalesces from a member's second frame in a turn, to keep latency).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { runServerChild } from './server-child';

const ROOM_PATH = /^\/ws\/chat\/([^/]+)\/$/;

runServerChild(async () => {
  const cork = process.argv[2] === 'cork';
  const corked: WebSocket[] = [];
  const uncorkAll = (): void => {
    for (const ws of corked.splice(0)) (ws as unknown as { _socket: Duplex })._socket.uncork();
  };
  const send = (ws: WebSocket, text: string): void => {
    if (cork) {
      const socket = (ws as unknown as { _socket: Duplex })._socket;
      if (socket.writableCorked === 0) {
        socket.cork();
        if (corked.push(ws) === 1) process.nextTick(uncorkAll);
      }
    }
    ws.send(text);
  };
  const rooms = new Map<string, Set<WebSocket>>();
  const server = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 1 << 20 });

  server.on('upgrade', (req, socket, head) => {
    const match = ROOM_PATH.exec(req.url ?? '');
    if (!match) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const room = decodeURIComponent(match[1]!);
    wss.handleUpgrade(req, socket, head, (ws) => {
      let members = rooms.get(room);
      if (!members) rooms.set(room, (members = new Set()));
      members.add(ws);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let content: unknown;
        try {
          content = JSON.parse(data.toString());
        } catch {
          return;
        }
        const message = (content as { message?: unknown } | null)?.message;
        if (typeof message !== 'string') return;
        const text = JSON.stringify({ message });
        for (const member of members!) send(member, text);
      });
      ws.on('close', () => {
        members!.delete(ws);
        if (members!.size === 0 && rooms.get(room) === members) rooms.delete(room);
      });
      ws.on('error', () => undefined);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const members of rooms.values()) for (const ws of members) ws.terminate();
        server.close(() => resolve());
      }),
  };
});
