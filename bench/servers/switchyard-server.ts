/**
 * A Switchyard server for the bench's chat protocol, on the layer named by
 * argv[2]: `memory`, `redis` (RedisChannelLayer) or `pubsub`
 * (RedisPubSubChannelLayer); argv[3] `history` keeps a history of every room
 * (chat_*: 100 messages, 300 s; recover_*: 1000 messages) and serves the
 * recovery route. Redis comes from BENCH_REDIS_URL, keys under BENCH_PREFIX
 * (the parent deletes them afterwards).
 */
import { configureChannelLayers, getChannelLayer } from '../../src/layers/registry';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path } from '../../src/routing/url-router';
import { createServer } from '../../src/server/server';
import { BenchChatConsumer } from './bench-chat-consumer';
import { BenchRecoveryConsumer } from './bench-recovery-consumer';
import { benchPhoenixSocket } from './bench-room-channel';
import { runServerChild } from './server-child';

const LAYER_URLS: Record<string, (redis: string) => string> = {
  memory: () => 'memory://',
  redis: (redis) => redis,
  pubsub: (redis) => redis.replace(/^redis(s?):/, 'redis+pubsub:'),
};

runServerChild(async () => {
  const kind = process.argv[2] ?? 'memory';
  const url = LAYER_URLS[kind];
  if (!url) throw new Error(`unknown layer ${kind}; use memory, redis or pubsub`);
  const redisUrl = process.env.BENCH_REDIS_URL ?? '';
  if (kind !== 'memory' && !redisUrl) throw new Error(`layer ${kind} needs BENCH_REDIS_URL`);
  // Redis layers count capacity per process inbox (`specific.<process>!`), one
  // queue for all of this process's consumers, as channels_redis does. The
  // default 100 is less than what the many-rooms scenarios keep in flight
  // (100 rooms × window 4 = 400 group messages, each one inbox entry per
  // process), so a process lagging 100 messages behind would drop by design.
  // Sized like a deployment with this many busy rooms would size it.
  const redisOptions = {
    prefix: process.env.BENCH_PREFIX ?? 'swbench',
    channelCapacity: { 'specific.*': 2000 },
    ...(process.argv.includes('localfirst') ? { localFirst: true } : {}),
    ...(process.argv.includes('written') ? { publishAck: 'written' as const } : {}),
  };
  const withHistory = process.argv[3] === 'history';
  const history = withHistory
    ? {
        history: [
          ['chat_*', { size: 100, ttl: 300 }],
          ['recover_*', { size: 1000, ttl: 300 }],
        ] as const,
      }
    : {};
  // The pubsub-cluster kind: sharded pub/sub on the bench's Redis Cluster, every node a seed.
  const clusterUrls = process.env.BENCH_REDIS_CLUSTER_URLS;
  configureChannelLayers({
    default:
      clusterUrls && kind === 'pubsub'
        ? { url: `${url(clusterUrls.split(',')[0]!)}?cluster=1`, options: { ...redisOptions, ...history, hosts: clusterUrls.split(',') } }
        : { url: url(redisUrl), options: kind === 'memory' ? history : { ...redisOptions, ...history } },
  });
  // Create the layer (and its Redis connections) before the first client.
  getChannelLayer();
  // argv[3] `phoenix`: the Phoenix protocol at /socket instead of the tutorial consumer.
  const websocket =
    process.argv[3] === 'phoenix'
      ? URLRouter([path('socket/', benchPhoenixSocket())])
      : URLRouter([
          path('ws/chat/<roomName>/', BenchChatConsumer.asApp()),
          ...(withHistory ? [path('ws/recover/<roomName>/', BenchRecoveryConsumer.asApp())] : []),
        ]);
  const application = ProtocolTypeRouter({ websocket });
  const metrics = process.argv[3] === 'metrics';
  // The load generator opens every connection from one address: no per-address limit here.
  // 200,000: past the c100k scenario's 100,000 (the default of 10,000 would refuse it).
  const server = createServer(application, { maxConnections: 200_000, maxConnectionsPerAddress: Infinity, metrics });
  const { port } = await server.listen(0, '127.0.0.1');
  // With metrics on, scrape as Prometheus would (every 5 s, a third of its default interval): its cost counts too.
  const scraper = metrics
    ? setInterval(() => void fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => undefined), 5000)
    : null;
  return {
    port,
    close: () => {
      if (scraper) clearInterval(scraper);
      return server.close({ timeoutMs: 3000 });
    },
  };
});
