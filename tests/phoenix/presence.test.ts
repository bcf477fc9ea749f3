/**
 * Phoenix Presence with the real phoenix.js `Presence`, in one process on
 * the memory layer and across two processes on Redis (the semantics of
 * phoenix/test/phoenix/presence_test.exs: "presence_test").
 */
import { Presence, type Socket } from 'phoenix';
import type { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { PresenceTracker } from '../../src/presence/presence-tracker';
import { closeChannelLayers, configureChannelLayers, getChannelLayer } from '../../src/layers/registry';
import '../../src/layers/redis';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path } from '../../src/routing/url-router';
import { closeAll, registerCloser, startServer, waitFor } from '../helpers';
import { deleteKeysUnder, freshPrefix } from '../helpers/redis-keys';
import { spawnNode, stopAll } from '../demo/processes';
import { connected, joined, phxSocket } from './phoenix-clients';
import { presenceSocket } from './presence-channel';
import { startPhoenix } from './start-phoenix';

afterEach(closeAll);

type Listed = Array<{ id: string; tabs: string[] }>;

/** Join `topic` with a phoenix.js Presence on it. */
function watch(socket: Socket, topic: string): { list(): Listed; synced(): boolean } {
  const channel = socket.channel(topic);
  const presence = new Presence(channel);
  let synced = false;
  presence.onSync(() => {
    synced = true;
  });
  void joined(channel);
  return {
    synced: () => synced,
    list: () =>
      (presence.list((id: string, { metas }: { metas: Array<{ tab: string; phx_ref: string }> }) => ({
        id,
        tabs: metas.map((m) => m.tab).sort(),
      })) as Listed).sort((a, b) => a.id.localeCompare(b.id)),
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function open(endpoint: string, user: string, tab: string): Promise<Socket> {
  const socket = phxSocket(endpoint, { params: { token: user, tab } });
  await connected(socket);
  return socket;
}

test('presence_test: presence_state first, then diffs; several tabs are one key with several metas; a leave removes one meta', async () => {
  const server = await startPhoenix((layer: InMemoryChannelLayer) => {
    const tracker = new PresenceTracker(layer, { heartbeatMs: 1000 });
    registerCloser(() => tracker.close());
    return presenceSocket(tracker).socket;
  });
  const bob = await open(server.endpoint, 'bob', 'b1');
  const alice1 = await open(server.endpoint, 'alice', 'a1');
  const alice2 = await open(server.endpoint, 'alice', 'a2');
  const seenByBob = watch(bob, 'presence:lobby');
  await waitFor(() => seenByBob.synced() && same(seenByBob.list(), [{ id: 'bob', tabs: ['b1'] }]), 3000, 'bob sees himself');
  const seenByAlice = watch(alice1, 'presence:lobby');
  watch(alice2, 'presence:lobby');
  const expected = [
    { id: 'alice', tabs: ['a1', 'a2'] },
    { id: 'bob', tabs: ['b1'] },
  ];
  await waitFor(() => same(seenByBob.list(), expected), 3000, 'two tabs of alice as one key, seen by bob');
  await waitFor(() => same(seenByAlice.list(), expected), 3000, 'the same, seen by alice');

  await new Promise<void>((resolve) => alice2.disconnect(() => resolve()));
  await waitFor(() => same(seenByBob.list(), [{ id: 'alice', tabs: ['a1'] }, { id: 'bob', tabs: ['b1'] }]), 3000, 'one tab of alice left');
  await new Promise<void>((resolve) => alice1.disconnect(() => resolve()));
  await waitFor(() => same(seenByBob.list(), [{ id: 'bob', tabs: ['b1'] }]), 3000, 'alice left');
});

describe('two processes on Redis', () => {
  const prefixes: string[] = [];
  afterAll(async () => {
    await stopAll();
    await deleteKeysUnder(process.env.REDIS_URL!, prefixes);
  });

  test('presence syncs across processes, and a killed process\'s members leave (tracker heartbeat expiry)', async () => {
    const prefix = freshPrefix('phx-presence');
    prefixes.push(prefix);
    const url = new URL(process.env.REDIS_URL!);
    url.searchParams.set('prefix', prefix);
    configureChannelLayers({ default: url.href });
    registerCloser(() => closeChannelLayers());
    const tracker = new PresenceTracker(getChannelLayer()!, { heartbeatMs: 100, timeoutMs: 400 });
    registerCloser(() => tracker.close());
    await tracker.ready();
    const router = URLRouter([path('socket/', presenceSocket(tracker).socket)]);
    const here = await startServer(ProtocolTypeRouter({ websocket: router, http: router }));

    const child = spawnNode(['--import', 'tsx', 'tests/phoenix/fixtures/presence-server.ts', url.href, '100'], { ...process.env });
    const there = await child.waitFor(/listening on (ws:\/\/\S+)/);

    const bob = await open(`${here.url}/socket`, 'bob', 'b1');
    const carol = await open(`${there}/socket`, 'carol', 'c1');
    const seenByBob = watch(bob, 'presence:lobby');
    const seenByCarol = watch(carol, 'presence:lobby');
    const both = [
      { id: 'bob', tabs: ['b1'] },
      { id: 'carol', tabs: ['c1'] },
    ];
    await waitFor(() => same(seenByBob.list(), both), 5000, 'bob sees carol (other process)');
    await waitFor(() => same(seenByCarol.list(), both), 5000, 'carol sees bob (other process)');

    child.process.kill('SIGKILL');
    await child.exited;
    // No goodbye from a killed process: its members go when its tracker heartbeat expires.
    await waitFor(() => same(seenByBob.list(), [{ id: 'bob', tabs: ['b1'] }]), 5000, 'carol left after her process died');
  });
});
