/**
 * The demo's Phoenix protocol with the real phoenix.js client (in Node, over
 * the ws package): the conventions docs/demo.md lists as the demo's public
 * protocol, the bridge with the tutorial endpoint, presence keyed by name,
 * and the shell's broadcast.
 */
import { Presence, type Socket } from 'phoenix';
import WebSocket from 'ws';
import { broadcast, closeChannelLayers, configureChannelLayers } from 'switchyard-channels';
import { createDemo, type Demo } from '../../demo/create-demo';
import { demoLayerConfig } from '../../demo/history';
import { closeAll, tryConnect, waitFor } from '../helpers';
import { collect, connected, joined, phxSocket, pushed } from '../phoenix/phoenix-clients';
import { joinRoom, nextChat, wsBase } from './demo-clients';

let demo: Demo;
let endpoint: string;

beforeAll(async () => {
  configureChannelLayers({ default: demoLayerConfig('memory://') });
  demo = await createDemo({ port: 0 });
  endpoint = `${wsBase(demo.url)}/socket`;
});
afterEach(closeAll);
afterAll(async () => {
  await demo?.close();
  await closeChannelLayers();
  configureChannelLayers(null);
});

/** A phoenix.js socket as `name`, sending the Origin a browser on the demo's page would (the demo checks it). */
function socketFor(name: string): Socket {
  const WebSocketWithOrigin = class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { Origin: demo.url } });
    }
  };
  return phxSocket(endpoint, { params: { name }, transport: WebSocketWithOrigin as never });
}

test('a socket without a name is refused at connect (403); with one it connects', async () => {
  const outcome = await tryConnect(`${endpoint}/websocket?vsn=2.0.0`, { headers: { Origin: demo.url } });
  expect(outcome).toMatchObject({ ok: false, status: 403 });
  const blank = await tryConnect(`${endpoint}/websocket?vsn=2.0.0&name=%20%20`, { headers: { Origin: demo.url } });
  expect(blank).toMatchObject({ ok: false, status: 403 });
  await connected(socketFor('Ada'));
});

test('room:<room> joins for valid rooms; an invalid room name gets an error reply with a string reason', async () => {
  const socket = socketFor('Ada');
  await connected(socket);
  expect(await joined(socket.channel('room:lobby'))).toMatchObject({ status: 'ok' });
  const bad = await joined(socket.channel('room:no spaces!'));
  expect(bad.status).toBe('error');
  expect(typeof bad.response.reason).toBe('string');
});

test('new_msg: ok to the sender and new_msg {body, name} to every member, the sender included; bad bodies get error and the channel stays joined', async () => {
  const ada = socketFor('Ada');
  const bob = socketFor('Bob');
  await Promise.all([connected(ada), connected(bob)]);
  const roomA = ada.channel('room:phx-msg');
  const roomB = bob.channel('room:phx-msg');
  await joined(roomA);
  await joined(roomB);
  const atA = collect(roomA, 'new_msg');
  const atB = collect(roomB, 'new_msg');
  expect(await pushed(roomA, 'new_msg', { body: 'hello' })).toMatchObject({ status: 'ok' });
  expect((await atA.next(1))[0]).toMatchObject({ body: 'hello', name: 'Ada' });
  expect((await atB.next(1))[0]).toMatchObject({ body: 'hello', name: 'Ada' });

  for (const body of [42, '', '   ', 'x'.repeat(2001), null]) {
    const reply = await pushed(roomA, 'new_msg', { body });
    expect(reply.status).toBe('error');
    expect(typeof reply.response.reason === 'string' || Array.isArray(reply.response.errors)).toBe(true);
  }
  expect(await pushed(roomA, 'new_msg', { body: 'still here' })).toMatchObject({ status: 'ok' });
  expect((await atB.next(2))[1]).toMatchObject({ body: 'still here', name: 'Ada' });
});

test('the bridge: tutorial {"message"} reaches phoenix as new_msg, phoenix new_msg reaches the tutorial as {message}', async () => {
  const tutorial = await joinRoom(demo.url, 'bridge', 'Tut');
  const socket = socketFor('Phx');
  await connected(socket);
  const room = socket.channel('room:bridge');
  await joined(room);
  const lines = collect(room, 'new_msg');
  tutorial.sendJson({ message: 'from the tutorial' });
  expect((await lines.next(1))[0]).toMatchObject({ body: 'from the tutorial', name: 'Tut' });
  expect(await nextChat(tutorial)).toMatchObject({ message: 'from the tutorial', author: 'Tut' });
  await pushed(room, 'new_msg', { body: 'from phoenix' });
  expect(await nextChat(tutorial)).toMatchObject({ message: 'from phoenix', author: 'Phx' });
  expect((await lines.next(2))[1]).toMatchObject({ body: 'from phoenix', name: 'Phx' });
  expect(lines.items).toHaveLength(2);
});

test('presence keyed by name: two tabs of one name are one key with two metas; the shell broadcast reaches the room', async () => {
  const a1 = socketFor('Grace');
  const a2 = socketFor('Grace');
  const watcher = socketFor('Watcher');
  await Promise.all([connected(a1), connected(a2), connected(watcher)]);
  const watched = watcher.channel('room:phx-presence');
  const presence = new Presence(watched);
  await joined(watched);
  await joined(a1.channel('room:phx-presence'));
  await joined(a2.channel('room:phx-presence'));
  const listed = () => presence.list((key: string, { metas }: { metas: Array<{ name: string }> }) => `${key}:${metas.length}:${metas[0]!.name}`).sort();
  await waitFor(() => JSON.stringify(listed()) === JSON.stringify(['Grace:2:Grace', 'Watcher:1:Watcher']), 3000, 'Grace with two tabs');

  const lines = collect(watched, 'new_msg');
  await broadcast('room:phx-presence', 'new_msg', { body: 'hi', name: 'shell' });
  expect(await lines.next(1)).toEqual([{ body: 'hi', name: 'shell', offset: 1, epoch: expect.any(String) }]);
});
