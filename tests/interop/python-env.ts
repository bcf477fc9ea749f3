/**
 * The Python side of the interop tests: Debian's python3 with Django,
 * channels, channels_redis and daphne, and a daphne process serving the
 * small Django Channels app in ./django_app. Missing pieces fail the test
 * with the command that installs them; nothing is skipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { scaled } from '../setup/calibrate';
import { freePort } from '../setup/redis-server';
import { stopChild } from '../helpers/stop-child';

/** Debian's interpreter: the one the python3-* packages install into. */
export const PYTHON = process.env.INTEROP_PYTHON ?? '/usr/bin/python3';

const APP_DIR = path.join(__dirname, 'django_app');

/** Throws with install instructions unless the Python stack is importable. */
export function assertPythonStack(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import django, channels, channels_redis, daphne, msgpack; print(channels_redis.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `The channels_redis interop test needs ${PYTHON} with Django, channels, channels_redis and daphne ` +
        `(${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}). ` +
        'Run scripts/ci-prepare.sh (Debian: apt-get install python3-django-channels python3-channels-redis daphne).',
    );
  }
}

/** A running daphne serving the interop app. */
export interface DjangoApp {
  port: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Start daphne on a free loopback port; resolves once it accepts connections (at most 20 s). */
export async function startDjangoApp(env: { hosts: string[]; prefix: string }): Promise<DjangoApp> {
  const port = await freePort();
  const child = spawn(PYTHON, ['-m', 'daphne', '-b', '127.0.0.1', '-p', String(port), 'interop_asgi:application'], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      PYTHONPATH: APP_DIR,
      PYTHONDONTWRITEBYTECODE: '1',
      DJANGO_SETTINGS_MODULE: 'interop_settings',
      INTEROP_REDIS_HOSTS: env.hosts.join(','),
      INTEROP_PREFIX: env.prefix,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = (): Promise<void> => stopChild(child, 3000);
  const deadline = Date.now() + scaled(20_000);
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`daphne exited with code ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`daphne did not listen on port ${port} within ${scaled(20)} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, process: child, output: () => output, stop };
}
