/**
 * switchyard-channels/client with the real phoenix.js client in Node (a child
 * process: the client is an ES module, the suite is CommonJS): it sends the
 * last position of the topic on every rejoin, so a client that drops out
 * gets every message once and in order, and it reports `recovered`.
 */
import { Channel, InMemoryChannelLayer, Reply, broadcast, channel, configureChannelLayers, closeChannelLayers, phoenixSocket, sinceFromPayload, topicGroup } from '../../src/index';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path } from '../../src/routing/url-router';
import { closeAll, startServer } from '../helpers';
import { cleanEnv, spawnNode, stopAll, type Child } from '../demo/processes';
import { scaled } from '../setup/calibrate';

jest.setTimeout(scaled(30_000));

class RoomChannel extends Channel {
  override join(_topic: string, payload: any) {
    this.recoverHistory({ since: sinceFromPayload(payload), last: 2 });
    return Reply.ok({ echo: { client: payload?.client ?? null, since: payload?.since ?? null } });
  }
}

let layer: InMemoryChannelLayer;
let endpoint: string;

beforeEach(async () => {
  layer = new InMemoryChannelLayer({ history: [[`${topicGroup('room:')}*`, { size: 100, ttl: 300 }]] });
  configureChannelLayers({ default: layer });
  const socket = phoenixSocket({ connect: () => ({}), channels: [channel('room:*', RoomChannel)], longpoll: false });
  const router = URLRouter([path('socket/', socket)]);
  const server = await startServer(ProtocolTypeRouter({ websocket: router }));
  endpoint = `${server.url}/socket`;
});
afterEach(async () => {
  await stopAll();
  await closeAll();
  await closeChannelLayers();
  configureChannelLayers(null);
});

type Line = { kind: string; [key: string]: any };

function lines(child: Child): Line[] {
  return child
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

function countOf(child: Child, kind: string): number {
  return lines(child).filter((line) => line.kind === kind).length;
}

/** Wait until the child has reported `count` lines of `kind`. */
async function reported(child: Child, kind: string, count: number): Promise<void> {
  // Counted, not matched: a regex repeating a lazy group `count` times backtracks exponentially
  // while the output is still short of it, which blocked the event loop (and jest's timeout).
  await child.waitUntil(() => countOf(child, kind) >= count, `${count} "${kind}" lines`, scaled(10_000));
}

const send = (n: number) => broadcast('room:lobby', 'new_msg', { n }, { layer });

test('rejoins carry the last position: every message once, in order, while the server keeps broadcasting', async () => {
  const child = spawnNode(['tests/client/drive-recovering-channel.mjs', endpoint, 'room:lobby'], cleanEnv());
  await reported(child, 'join', 1);
  for (let n = 1; n <= 5; n++) await send(n);
  await reported(child, 'msg', 5);

  child.writeLine('disconnect');
  await reported(child, 'closed', 1);
  for (let n = 6; n <= 20; n++) await send(n);
  child.writeLine('connect');
  for (let n = 21; n <= 40; n++) {
    await send(n);
    if (n === 22) await reported(child, 'open', 2);
  }
  await reported(child, 'msg', 40);
  await reported(child, 'join', 2);

  const messages = lines(child).filter((line) => line.kind === 'msg');
  expect(messages.map((m) => m.payload.n)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(messages.at(-1)!.position).toEqual({ offset: 40, epoch: messages[0]!.payload.epoch });
  const joins = lines(child).filter((line) => line.kind === 'join');
  expect(joins[0]).toMatchObject({ recovered: true, rejoin: false, offset: 0, echo: { client: 'node', since: null } });
  // The rejoin sent the position of the last message handled before the drop, with the app's own params.
  expect(joins[1]).toMatchObject({ recovered: true, rejoin: true, echo: { client: 'node', since: { offset: 5, epoch: messages[0]!.payload.epoch } } });
  expect(countOf(child, 'msg')).toBe(40);
});

test('a rejoin after the history was lost reports recovered: false with the new epoch, and goes on from there', async () => {
  const child = spawnNode(['tests/client/drive-recovering-channel.mjs', endpoint, 'room:lobby'], cleanEnv());
  await reported(child, 'join', 1);
  for (let n = 1; n <= 3; n++) await send(n);
  await reported(child, 'msg', 3);
  const oldEpoch = lines(child).find((line) => line.kind === 'msg')!.payload.epoch;

  child.writeLine('disconnect');
  await reported(child, 'closed', 1);
  await layer.flush(); // a new epoch: what was kept is gone
  for (let n = 4; n <= 6; n++) await send(n);
  child.writeLine('connect');
  await reported(child, 'join', 2);
  const rejoin = lines(child).filter((line) => line.kind === 'join')[1]!;
  expect(rejoin).toMatchObject({ recovered: false, rejoin: true, offset: 3, echo: { since: { offset: 3, epoch: oldEpoch } } });
  expect(rejoin.epoch).not.toBe(oldEpoch);
  // The newest `last` (2) of the new epoch are replayed; the position then follows the new epoch.
  await reported(child, 'msg', 5);
  await send(7);
  await reported(child, 'msg', 6);
  const messages = lines(child).filter((line) => line.kind === 'msg');
  expect(messages.map((m) => m.payload.n)).toEqual([1, 2, 3, 5, 6, 7]);
  expect(messages.at(-1)!.position).toEqual({ offset: 4, epoch: rejoin.epoch });
});
