import { randomUUID } from 'node:crypto';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { exitCode, killAll, spawnCli } from './cli-helpers';

// The CLI on the Redis core layer: REDIS_URL alone selects it, the log line
// redacts nothing it should not (no password here), and a spawned worker
// answers a job sent from this process through Redis.
describe('switchyard on Redis (spawned)', () => {
  const prefix = `cli-test-${randomUUID().slice(0, 8)}`;
  const url = `${process.env.REDIS_URL}${process.env.REDIS_URL!.includes('?') ? '&' : '?'}prefix=${prefix}`;
  let layer: RedisChannelLayer;

  beforeAll(() => {
    layer = new RedisChannelLayer({ url: process.env.REDIS_URL, prefix });
  });
  afterEach(killAll);
  afterAll(async () => {
    await layer.flush();
    await layer.close();
  });

  it('worker: a job sent through Redis reaches the consumer and its reply comes back', async () => {
    const proc = spawnCli(['worker', 'tests/fixtures/cli/worker-app.ts', 'jobs'], { REDIS_URL: url });
    await proc.waitFor(/worker reading jobs/);
    expect(proc.stderr()).toMatch(/layer connected: RedisChannelLayer at redis:\/\/.*\(from REDIS_URL\)/);
    const replyTo = await layer.newChannel('reply');
    for (let n = 1; n <= 3; n++) await layer.send('jobs', { type: 'job.run', n, replyTo });
    const replies = [];
    for (let n = 1; n <= 3; n++) {
      replies.push(await layer.receive(replyTo, { signal: AbortSignal.timeout(5000) }));
    }
    expect(replies).toEqual([1, 2, 3].map((n) => ({ type: 'job.done', n, channel: 'jobs' })));
    proc.child.kill('SIGTERM');
    expect(await exitCode(proc)).toBe(0);
    expect(proc.stderr()).toMatch(/stopped\n$/);
  });
});
