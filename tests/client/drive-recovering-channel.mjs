// A phoenix.js client in Node using switchyard-channels/client (imported by the
// package's own name, so through its "exports"), driven over stdin and
// reporting on stdout, one JSON object a line:
//   node drive-recovering-channel.mjs <endpoint> <topic>
// stdin: `disconnect`, `connect`, `exit`. stdout: {kind: 'open' | 'closed' |
// 'join' | 'msg', ...}.
import { createInterface } from 'node:readline';
import { Socket } from 'phoenix';
import WebSocket from 'ws';
import { RecoveringChannel } from 'switchyard-channels/client';

const [endpoint, topic] = process.argv.slice(2);
const report = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const socket = new Socket(endpoint, {
  transport: WebSocket,
  reconnectAfterMs: () => 50,
  rejoinAfterMs: () => 50,
  heartbeatIntervalMs: 30_000,
  timeout: 2_000,
});
socket.onOpen(() => report({ kind: 'open' }));
socket.onClose(() => report({ kind: 'closed' }));

const room = new RecoveringChannel(socket, topic, () => ({ client: 'node' }));
room.channel.on('new_msg', (payload) => report({ kind: 'msg', payload, position: room.position }));
room.onJoin(({ recovered, epoch, offset, rejoin, response }) => report({ kind: 'join', recovered, epoch, offset, rejoin, echo: response.echo ?? null }));
room.join();
socket.connect();

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'disconnect') socket.disconnect();
  else if (line === 'connect') socket.connect();
  else if (line === 'exit') socket.disconnect(() => process.exit(0));
});
