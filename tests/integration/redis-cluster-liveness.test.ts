/**
 * Members of dead processes on a Redis Cluster: a survivor removes the
 * process-local members of a killed process from groups on every master
 * within the liveness bound, keeps every other member, and a process that was
 * only paused past the timeout writes its memberships back when it resumes.
 * The doomed process is a real child process, killed or stopped by signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createClient, createCluster } from 'redis';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { stopChild } from '../helpers/stop-child';
import { startThrowawayCluster, type ThrowawayCluster } from '../setup/redis-server';
import { testPrefix } from './redis-helpers';
import { scaled } from '../setup/calibrate';

jest.setTimeout(scaled(60_000));

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'cluster-liveness-member.ts');
const LIVENESS = { interval: 0.2, timeout: 0.6 };
const BOUND_MS = (LIVENESS.timeout + LIVENESS.interval) * 1000;
const GROUPS = Array.from({ length: 12 }, (_, i) => `room.${i}`);

let cluster: ThrowawayCluster;
const layers: RedisPubSubChannelLayer[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  cluster = await startThrowawayCluster();
}, scaled(40_000));

afterEach(async () => {
  await Promise.all(layers.splice(0).map((layer) => layer.close()));
  await Promise.all(children.splice(0).map((child) => stopChild(child, 2000)));
});

afterAll(async () => {
  await cluster?.stop();
});

/** A member process that has joined `GROUPS` (group -> its channel). */
function startMember(prefix: string): Promise<{ child: ChildProcess; joined: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CLUSTER_URLS: cluster.urls.join(','), PREFIX: prefix, GROUPS: GROUPS.join(','), LIVENESS: JSON.stringify(LIVENESS) };
    // Node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a child of its
    // own, which SIGKILL and SIGSTOP sent to the CLI would not reach.
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    const timer = setTimeout(() => reject(new Error(`member did not join within ${scaled(15_000)} ms:\n${output}`)), scaled(15_000));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /JOINED (.*)\n/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, joined: JSON.parse(match[1]!) as Record<string, string> });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`member exited (${code ?? signal}):\n${output}`));
    });
  });
}

/** Polls until `done` holds for the members of every group; returns the elapsed ms. */
async function waitForMembers(layer: RedisPubSubChannelLayer, done: (group: string, members: string[]) => boolean, what: string, limitMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const members = await Promise.all(GROUPS.map((group) => layer.groupMembers(group)));
    if (GROUPS.every((group, i) => done(group, members[i]!))) return Date.now() - start;
    if (Date.now() - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How many masters hold the group keys of `prefix` (by slot, from the cluster's slot table). */
async function mastersHolding(prefix: string): Promise<number> {
  const client = createClient({ url: cluster.urls[0] });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const ranges = (await client.sendCommand(['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>;
    const masters = new Set<number>();
    for (const group of GROUPS) {
      const slot = (await client.sendCommand(['CLUSTER', 'KEYSLOT', `${prefix}:group:${group}`])) as number;
      masters.add(ranges.find(([from, to]) => from <= slot && slot <= to)![2][1]);
    }
    return masters.size;
  } finally {
    client.destroy();
  }
}

it('removes the members of a killed process from groups on every master within timeout + interval, and only those', async () => {
  const prefix = testPrefix('cluster-liveness');
  expect(await mastersHolding(prefix)).toBeGreaterThan(1);
  const survivor = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix, liveness: LIVENESS });
  layers.push(survivor);
  const own = await survivor.newChannel();
  await survivor.groupAdd('room.0', own);
  // The survivor is connected from here on; it takes others for dead once connected for `timeout`.
  const reapFrom = Date.now() + LIVENESS.timeout * 1000;
  // A channels_redis process never beats; a named channel is no process's member.
  const django = 'specific.0123456789abcdef0123456789abcdef!xyz';
  await survivor.groupAdd('room.1', django);
  const raw = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
  raw.on('error', () => undefined);
  await raw.connect();
  try {
    await raw.sendCommand(`${prefix}:group:room.2`, false, ['ZADD', `${prefix}:group:room.2`, String(Date.now() / 1000), 'worker.jobs']);
  } finally {
    raw.destroy();
  }

  const { child, joined } = await startMember(prefix);
  const doomed = new Set(Object.values(joined));
  expect((await survivor.groupMembers('room.5')).some((m) => doomed.has(m))).toBe(true);
  const died = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await died;
  const diedAt = Date.now();
  await waitForMembers(survivor, (_, members) => !members.some((m) => doomed.has(m)), 'members of the killed process removed', BOUND_MS + scaled(5000));
  const elapsed = Date.now() - Math.max(diedAt, reapFrom);
  // timeout + interval from its last beat, plus one interval for the survivor's own check and scheduling slack.
  expect(elapsed).toBeLessThan(BOUND_MS + LIVENESS.interval * 1000 + scaled(1000));
  expect(await survivor.groupMembers('room.0')).toEqual([own]);
  expect(await survivor.groupMembers('room.1')).toEqual([django]);
  expect(await survivor.groupMembers('room.2')).toEqual(['worker.jobs']);
});

it('lets a process that was only paused past the timeout write its memberships back', async () => {
  const prefix = testPrefix('cluster-liveness-paused');
  const survivor = new RedisPubSubChannelLayer({ hosts: cluster.urls, cluster: true, prefix, liveness: LIVENESS });
  layers.push(survivor);
  const { child, joined } = await startMember(prefix);
  const paused = new Set(Object.values(joined));
  child.kill('SIGSTOP');
  try {
    await waitForMembers(survivor, (_, members) => !members.some((m) => paused.has(m)), 'members of the paused process removed', BOUND_MS + scaled(5000));
  } finally {
    child.kill('SIGCONT');
  }
  // Its next beat finds its token gone and writes every membership back.
  await waitForMembers(survivor, (group, members) => members.includes(joined[group]!), 'memberships written back after the pause', scaled(5000));
});
