/**
 * What history costs Redis per groupSend on the pub/sub layer: the Redis CPU
 * time of PUBLISH_HISTORY (store + publish) against a plain PUBLISH of the
 * same envelope, on a private throwaway redis-server, 100 groups sent to in
 * turn with the layer's own arguments, the two interleaved round by round.
 * Prints median [min–max] µs per groupSend and `usec_per_call` from INFO
 * commandstats.
 *
 * @example
 * npx tsx bench/history-script-cost.ts 5   # rounds (default 5)
 */
import { createClient } from 'redis';
import { startThrowawayRedis } from '../tests/setup/redis-server';
import { HISTORY_TRIM_EVERY, PUBLISH_HISTORY } from '../src/layers/redis/lua';
import { historyKeys, mapWithStampRoom } from '../src/layers/redis/history-keys';
import { encodeMessage } from '../src/layers/redis/codec';
import { EnvelopeKind, writeEnvelope } from '../src/layers/redis/pubsub-envelope';

const GROUPS = 100;
const SENDS_PER_GROUP = 10 * HISTORY_TRIM_EVERY;

type Client = ReturnType<typeof createClient>;

async function cpuSeconds(client: Client): Promise<number> {
  const info = await client.info('cpu');
  let sum = 0;
  for (const m of info.matchAll(/used_cpu_(?:sys|user):([\d.]+)/g)) sum += Number(m[1]);
  return sum;
}

async function round(client: Client, kind: 'publish' | 'history', tag: string, runId: string): Promise<{ us: number; usecPerCall: number }> {
  await client.sendCommand(['CONFIG', 'RESETSTAT']);
  const before = await cpuSeconds(client);
  for (let i = 0; i < SENDS_PER_GROUP; i++) {
    const now = Date.now();
    const sends: Array<Promise<unknown>> = [];
    for (let g = 0; g < GROUPS; g++) {
      const group = `chat_${tag}_${g}`;
      const topic = `bench:gt:${group}`;
      const encoded = encodeMessage({ type: 'chat.message', message: `m:${g}:${i}:${now}.123456` });
      if (kind === 'publish') {
        sends.push(client.sendCommand(['PUBLISH', topic, writeEnvelope(EnvelopeKind.Group, now, 'token-1', group, '', encoded)]));
        continue;
      }
      const keys = historyKeys('bench', group, topic);
      const args = [
        `epoch${i}`,
        runId,
        '86400000',
        String(now),
        String(now - 300_000 + 1),
        '100',
        'PUBLISH',
        topic,
        writeEnvelope(EnvelopeKind.Group, now, 'token-1', group, ''),
        mapWithStampRoom(encoded),
      ];
      sends.push(client.sendCommand(['EVALSHA', PUBLISH_HISTORY.sha, '2', keys.stream, keys.meta, ...args]));
    }
    await Promise.all(sends);
  }
  const after = await cpuSeconds(client);
  const stats = await client.info('commandstats');
  const usec = new RegExp(`cmdstat_${kind === 'publish' ? 'publish' : 'evalsha'}:calls=\\d+,usec=\\d+,usec_per_call=([\\d.]+)`).exec(stats);
  return { us: ((after - before) * 1e6) / (GROUPS * SENDS_PER_GROUP), usecPerCall: Number(usec?.[1] ?? NaN) };
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} [${sorted[0]!.toFixed(1)}–${sorted[sorted.length - 1]!.toFixed(1)}]`;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const redis = await startThrowawayRedis();
  const client = createClient({ url: redis.url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const runId = /run_id:(\w+)/.exec(await client.info('server'))![1]!;
    await client.sendCommand(['SCRIPT', 'LOAD', PUBLISH_HISTORY.source]);
    const results = { publish: [] as number[], history: [] as number[], publishUsec: [] as number[], historyUsec: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const kind of ['publish', 'history'] as const) {
        const { us, usecPerCall } = await round(client, kind, `${kind}${r}`, runId);
        results[kind].push(us);
        results[`${kind}Usec`].push(usecPerCall);
      }
    }
    console.log(`${GROUPS} groups × ${SENDS_PER_GROUP} sends, ${rounds} rounds; Redis CPU µs per groupSend, median [min–max]:`);
    console.log(`  PUBLISH alone:          ${summary(results.publish)} (usec_per_call ${summary(results.publishUsec)})`);
    console.log(`  PUBLISH_HISTORY:        ${summary(results.history)} (usec_per_call ${summary(results.historyUsec)})`);
  } finally {
    await client.quit().catch(() => undefined);
    await redis.stop();
  }
}

void main();
