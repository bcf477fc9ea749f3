/**
 * A Redis server that keeps its connections open but stops answering (here a
 * throwaway redis-server under SIGSTOP: the kernel still accepts and buffers,
 * nothing replies). The command connection's watchdog must fail the waiting
 * commands within about commandTimeout and the node must come back by itself
 * once the server answers again.
 */
import { once } from 'node:events';
import { LayerUnavailable } from '../../../../src/errors';
import { RedisNode, type ConnectionTiming, type UpInfo } from '../../../../src/layers/redis/connection';
import { startThrowawayRedis, type ThrowawayRedis } from '../../../setup/redis-server';
import { within } from '../../../integration/redis-helpers';

const TIMING: ConnectionTiming = { connectTimeout: 500, commandTimeout: 400, retryMinDelay: 50, retryMaxDelay: 200 };

describe('RedisNode with a server that stops answering', () => {
  let redis: ThrowawayRedis | undefined;
  let node: RedisNode | undefined;

  afterEach(async () => {
    await node?.close();
    redis?.process.kill('SIGCONT');
    await redis?.stop();
    node = undefined;
    redis = undefined;
  });

  it('fails the waiting commands with LayerUnavailable after about commandTimeout, then reconnects', async () => {
    redis = await startThrowawayRedis();
    node = new RedisNode(redis.url, TIMING);
    const firstUp = once(node, 'up') as Promise<[UpInfo]>;
    await node.start();
    expect(await within(firstUp, 'the first connection')).toEqual([{ first: true, restarted: false }]);
    expect(await node.command(['PING'])).toBe('PONG');

    const down = once(node, 'down') as Promise<[Error]>;
    redis.process.kill('SIGSTOP');
    const started = Date.now();
    const results = await within(
      Promise.allSettled([node.command(['ECHO', 'a']), node.command(['ECHO', 'b'])]),
      'the stalled commands to fail',
    );
    const elapsed = Date.now() - started;

    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as LayerUnavailable;
      expect(error).toBeInstanceOf(LayerUnavailable);
      expect(error.code).toBe('ERR_LAYER_UNAVAILABLE');
      expect(error.message).toMatch(/no reply within 400 ms/);
    }
    // The deadline holds: no sooner than commandTimeout, and not much later (1.25x plus scheduling slack).
    expect(elapsed).toBeGreaterThanOrEqual(TIMING.commandTimeout - 5);
    expect(elapsed).toBeLessThan(TIMING.commandTimeout * 1.25 + 400);
    const [reason] = await within(down, 'the "down" event');
    expect(reason.message).toMatch(/no reply within 400 ms/);

    // While it is stalled, new commands fail at once instead of piling up.
    const fastStarted = Date.now();
    await expect(node.command(['PING'])).rejects.toBeInstanceOf(LayerUnavailable);
    expect(Date.now() - fastStarted).toBeLessThan(TIMING.commandTimeout);

    const up = once(node, 'up') as Promise<[UpInfo]>;
    redis.process.kill('SIGCONT');
    expect(await within(up, 'the "up" event after the server answers again')).toEqual([{ first: false, restarted: false }]);
    expect(node.ready).toBe(true);
    expect(await node.command(['ECHO', 'back'])).toBe('back');
  });
});
