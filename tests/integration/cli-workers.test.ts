import { randomUUID } from 'node:crypto';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { connectClient, type TestClient } from '../helpers/ws-client';
import { scaled } from '../setup/calibrate';
import { exitCode, killAll, spawnCli, type CliProcess } from './cli-helpers';

// `switchyard serve --workers N`: N processes on one port sharing the Redis
// layer, drained on SIGTERM, replaced one by one on SIGHUP; the in-memory
// layer is refused because a group would be split between processes.
describe('switchyard serve --workers', () => {
  const prefix = `cli-workers-${randomUUID().slice(0, 8)}`;
  const url = `${process.env.REDIS_URL}${process.env.REDIS_URL!.includes('?') ? '&' : '?'}prefix=${prefix}`;
  const clients: TestClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await killAll();
  });
  afterAll(async () => {
    for (const layer of [new RedisChannelLayer({ url: process.env.REDIS_URL, prefix }), new RedisPubSubChannelLayer({ url: process.env.REDIS_URL, prefix })]) {
      await layer.flush();
      await layer.close();
    }
  });

  async function lobby(port: number): Promise<{ client: TestClient; pid: number }> {
    const client = await connectClient(`ws://127.0.0.1:${port}/ws/lobby/`, { timeoutMs: scaled(5000) });
    clients.push(client);
    const { pid } = await client.nextJson<{ pid: number }>(scaled(5000));
    return { client, pid };
  }

  /** Connect until two different workers answered (the primary hands connections out round-robin). */
  async function onTwoWorkers(port: number): Promise<Array<{ client: TestClient; pid: number }>> {
    const joined: Array<{ client: TestClient; pid: number }> = [];
    for (let i = 0; i < 12 && new Set(joined.map((j) => j.pid)).size < 2; i++) joined.push(await lobby(port));
    return joined;
  }

  async function start(args: string[], env: NodeJS.ProcessEnv): Promise<{ proc: CliProcess; port: number }> {
    const proc = spawnCli(['serve', 'tests/fixtures/cli/group-app.ts', '--port', '0', ...args], env);
    const port = Number(await proc.waitFor(/primary \d+: \d+ workers listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000));
    return { proc, port };
  }

  it.each([
    ['the Redis core layer', { REDIS_URL: url }],
    ['the Redis pub/sub layer', { CHANNEL_LAYER_URL: url.replace(/^redis:/, 'redis+pubsub:') }],
  ])('two workers on %s share a group; SIGTERM drains both and exits 0', async (_name, env) => {
    const { proc, port } = await start(['--workers', '2'], env);
    const joined = await onTwoWorkers(port);
    const pids = new Set(joined.map((j) => j.pid));
    expect(pids.size).toBe(2);
    const sender = joined.find((j) => j.pid === [...pids][1])!;
    sender.client.send(JSON.stringify({ text: 'hello from one worker' }));
    for (const { client } of joined) {
      expect(await client.nextJson(scaled(5000))).toEqual({ text: 'hello from one worker', from: sender.pid });
    }
    proc.child.kill('SIGTERM');
    expect(await exitCode(proc, 20_000)).toBe(0);
    for (const { client } of joined) expect((await client.closed()).code).toBe(1001);
    expect(proc.stderr()).toMatch(/draining 2 workers/);
    expect(proc.stderr()).toMatch(/stopped\n$/);
  });

  it('SIGHUP replaces the workers one by one while the port keeps answering', async () => {
    const { proc, port } = await start(['--workers', '2'], { REDIS_URL: url });
    const before = new Set((await onTwoWorkers(port)).map((j) => j.pid));
    proc.child.kill('SIGHUP');
    await proc.waitFor(/rolling restart done/, 30_000);
    const after = new Set((await onTwoWorkers(port)).map((j) => j.pid));
    expect(after.size).toBe(2);
    for (const pid of after) expect(before.has(pid)).toBe(false);
    proc.child.kill('SIGTERM');
    expect(await exitCode(proc, 20_000)).toBe(0);
  });

  // node:cluster ends a worker whose IPC channel to the primary closes unexpectedly: no orphans serving on.
  it('workers exit when their primary is killed', async () => {
    const { proc, port } = await start(['--workers', '2'], { REDIS_URL: url });
    const pids = [...new Set((await onTwoWorkers(port)).map((j) => j.pid))];
    proc.child.kill('SIGKILL');
    await proc.exited;
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + scaled(15_000);
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pids.filter(alive)).toEqual([]);
  });

  it('refuses the in-memory layer with more than one worker, saying what to set, exit 2', async () => {
    const proc = spawnCli(['serve', 'tests/fixtures/cli/group-app.ts', '--port', '0', '--workers', '2'], {});
    expect(await exitCode(proc, 30_000)).toBe(2);
    const err = proc.stderr();
    expect(err).toMatch(/--workers 2 needs a channel layer shared by the processes/);
    expect(err).toMatch(/REDIS_URL/);
    // Started alone first, so the refusal is printed once, not once per worker.
    expect(err.match(/needs a channel layer shared/g)).toHaveLength(1);

    const explicit = spawnCli(['serve', 'tests/fixtures/cli/group-app.ts', '--workers', '3'], { CHANNEL_LAYER_URL: 'memory://' });
    expect(await exitCode(explicit)).toBe(2);
    expect(explicit.stderr()).toMatch(/CHANNEL_LAYER_URL selects the in-memory layer/);
  });

  it('rejects a bad --workers value with exit 2', async () => {
    const proc = spawnCli(['serve', 'tests/fixtures/cli/group-app.ts', '--workers', '0'], {});
    expect(await exitCode(proc)).toBe(2);
    expect(proc.stderr()).toMatch(/--workers must be a number of processes from 1 to 256, or auto/);
  });
});
