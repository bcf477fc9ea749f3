/**
 * Find a Redis for the tests: REDIS_URL (default redis://127.0.0.1:6379) when
 * something answers there, otherwise a throwaway `redis-server` on a free
 * loopback port with persistence off. Never skips: with neither, it fails and
 * says how to get one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaled } from './calibrate';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** True when a TCP server answers a Redis PING at the URL's host and port. */
export function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A free loopback TCP port (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function redisServerBinary(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : null;
}

export const NO_REDIS_MESSAGE =
  'No Redis server answers at REDIS_URL and no `redis-server` binary is installed to start a throwaway one. ' +
  'Install one (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) ' +
  'or point REDIS_URL at a running server, e.g. REDIS_URL=redis://127.0.0.1:6379.';

export interface ThrowawayRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** redis-server exited before answering: on a port picked by freePort(), another process took it in between. */
class RedisExitedEarly extends Error {}

/** Attempts on a new free port when redis-server cannot bind (the environment, not the code under test). */
const BIND_ATTEMPTS = 3;

/**
 * Start `redis-server` on a loopback port (a free one unless `port` is given,
 * e.g. to restart a killed server in place), no persistence; resolves once it answers PING.
 * A server on a free port that exits at once (the port was taken between
 * picking and binding it) is retried on another port; nothing else is retried.
 */
export async function startThrowawayRedis(extraArgs: string[] = [], port?: number): Promise<ThrowawayRedis> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOnce(extraArgs, port ?? (await freePort()));
    } catch (error) {
      if (!(error instanceof RedisExitedEarly) || port !== undefined || attempt >= BIND_ATTEMPTS) throw error;
    }
  }
}

async function startRedisOnce(extraArgs: string[], port: number): Promise<ThrowawayRedis> {
  const binary = redisServerBinary();
  if (!binary) throw new Error(NO_REDIS_MESSAGE);
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extraArgs],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + scaled(10_000);
  while (!(await pingRedis(url, 200))) {
    if (child.exitCode !== null) throw new RedisExitedEarly(`redis-server exited with code ${child.exitCode} on port ${port}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A throwaway Redis Cluster: `nodes` servers (masters plus one replica each when six). */
export interface ThrowawayCluster {
  /** Seed URLs (every node). */
  urls: string[];
  servers: ThrowawayRedis[];
  stop(): Promise<void>;
}

export function redisCliBinary(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : null;
}

/**
 * Start six cluster-mode redis-servers on free ports (or on `ports`, six of
 * them, e.g. where a layer already tries to connect) in a temporary directory
 * and join them with `redis-cli --cluster create` (three masters, one replica
 * each); resolves once every node reports cluster_state:ok (at most 30 s).
 */
export async function startThrowawayCluster(ports?: readonly number[]): Promise<ThrowawayCluster> {
  if (ports !== undefined && ports.length !== 6) throw new Error(`a throwaway cluster has six nodes, got ${ports.length} ports`);
  const cli = redisCliBinary();
  if (!cli || !redisServerBinary()) throw new Error(`${NO_REDIS_MESSAGE} The cluster test also needs redis-cli (same package).`);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
  const servers: ThrowawayRedis[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      const nodeDir = join(dir, String(i));
      mkdirSync(nodeDir);
      servers.push(
        await startThrowawayRedis(
          ['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '3000', '--dir', nodeDir],
          ports?.[i],
        ),
      );
    }
    const create = spawnSync(cli, ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    const deadline = Date.now() + scaled(30_000);
    for (const server of servers) {
      for (;;) {
        const info = spawnSync(cli, ['-p', String(server.port), 'cluster', 'info'], { encoding: 'utf8', timeout: 2000 });
        if (info.stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster did not reach cluster_state:ok within 30 s (node ${server.port})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls: servers.map((s) => s.url), servers, stop };
}
