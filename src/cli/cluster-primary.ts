/**
 * The primary process of `switchyard serve --workers N`: forks N copies of the
 * same command with node:cluster (they share the listening socket), replaces
 * a worker that dies, drains them all on SIGTERM/SIGINT, and on SIGHUP
 * replaces them one at a time (a rolling restart: a new worker listens before
 * the old one is told to drain, so the port never goes unanswered).
 *
 * The primary loads no user code and opens no channel layer: each worker
 * does, exactly as a single `serve` would. The first worker is started alone,
 * so a startup error (a bad module, a layer that cannot be shared) is printed
 * once and stops everything with that worker's exit code.
 */
import cluster, { type Worker } from 'node:cluster';
import type { CliIo } from './cli-io';
import type { CliLogger } from './logger';

/** Environment variable a worker reads: how many workers its primary runs. */
export const WORKERS_ENV = 'SWITCHYARD_WORKERS';

/** A crashed worker is replaced after this long, so a crash loop does not spin. */
const RESPAWN_DELAY_MS = 1000;

export interface PrimaryOptions {
  workers: number;
  log: CliLogger;
  /** Extra environment for every worker (e.g. one dashboard token for all). */
  env: Record<string, string>;
}

interface Started {
  worker: Worker;
  /** Resolves with the address once it listens, rejects with its exit code if it exits first. */
  listening: Promise<{ address: string; port: number }>;
  exited: Promise<number>;
}

class WorkerExitedEarly extends Error {
  constructor(readonly exitCode: number) {
    super(`worker exited with ${exitCode} before listening`);
  }
}

/** Run the primary until every worker has stopped; resolves with the exit code. */
export async function runPrimary(io: CliIo, options: PrimaryOptions): Promise<number> {
  const { log, workers } = options;
  const live = new Set<Worker>();
  /** Workers being replaced on purpose (rolling restart): their exit is not a crash. */
  const replaced = new WeakSet<Worker>();
  let stopping = false;

  const fork = (): Started => {
    const worker = cluster.fork({ ...options.env, [WORKERS_ENV]: String(workers) });
    live.add(worker);
    let listened = false;
    const exited = new Promise<number>((resolve) =>
      worker.once('exit', (code, signal) => {
        live.delete(worker);
        resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
      }),
    );
    const listening = new Promise<{ address: string; port: number }>((resolve, reject) => {
      worker.once('listening', (address) => {
        listened = true;
        resolve({ address: address.address ?? '', port: address.port });
      });
      void exited.then((code) => reject(new WorkerExitedEarly(code)));
    });
    listening.catch(() => undefined);
    void exited.then((code) => {
      if (stopping || !listened || worker.exitedAfterDisconnect || replaced.has(worker)) return;
      log.warn(`worker ${worker.process.pid} exited unexpectedly (${code}); starting a replacement in ${RESPAWN_DELAY_MS} ms`);
      setTimeout(() => {
        if (stopping) return;
        fork().listening.catch((error: Error) => log.error(`replacement worker failed: ${error.message}`));
      }, RESPAWN_DELAY_MS).unref();
    });
    return { worker, listening, exited };
  };
  const stopAll = async (signal: NodeJS.Signals): Promise<void> => {
    stopping = true;
    const all = [...live];
    await Promise.all(
      all.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill(signal);
          }),
      ),
    );
  };

  // A signal during start-up stops the workers started so far (instead of orphaning them).
  let early: NodeJS.Signals | null = null;
  let onEarly: () => void = () => undefined;
  const earlySignal = new Promise<never>((_, reject) => (onEarly = () => reject(new Error(`${early} during start-up`))));
  earlySignal.catch(() => undefined);
  const earlyTerm = (): void => {
    early = 'SIGTERM';
    onEarly();
  };
  const earlyInt = (): void => {
    early = 'SIGINT';
    onEarly();
  };
  io.signals.on('SIGTERM', earlyTerm);
  io.signals.on('SIGINT', earlyInt);

  // Start one, then the rest: a startup error is reported once.
  const first = fork();
  let address: { address: string; port: number };
  try {
    address = await Promise.race([first.listening, earlySignal]);
    const rest = Array.from({ length: workers - 1 }, fork);
    await Promise.race([Promise.all(rest.map((s) => s.listening)), earlySignal]);
  } catch (error) {
    io.signals.off('SIGTERM', earlyTerm);
    io.signals.off('SIGINT', earlyInt);
    if (early !== null) {
      log.info(`shutting down (${early}) during start-up`);
      await stopAll('SIGTERM');
      log.info('stopped');
      return 0;
    }
    await stopAll('SIGTERM');
    const code = error instanceof WorkerExitedEarly ? error.exitCode : 1;
    log.error(`a worker could not start (exit ${code}): stopping`);
    return code === 0 ? 1 : code;
  }
  io.signals.off('SIGTERM', earlyTerm);
  io.signals.off('SIGINT', earlyInt);
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  log.info(`primary ${process.pid}: ${workers} worker${workers > 1 ? 's' : ''} listening on http://${host}:${address.port}`);

  let restarting: Promise<void> | null = null;
  const rollingRestart = async (): Promise<void> => {
    const old = [...live];
    log.info(`SIGHUP: replacing ${old.length} worker${old.length > 1 ? 's' : ''} one at a time`);
    for (const worker of old) {
      if (stopping) return;
      const next = fork();
      try {
        await next.listening;
      } catch (error) {
        log.error(`rolling restart stopped: the new worker did not start (${(error as Error).message}); the old ones keep serving`);
        return;
      }
      replaced.add(worker);
      await new Promise<void>((resolve) => {
        if (worker.isDead()) return resolve();
        worker.once('exit', () => resolve());
        worker.process.kill('SIGTERM');
      });
    }
    log.info('rolling restart done');
  };

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onHup = (): void => {
      if (restarting) {
        log.info('SIGHUP: a rolling restart is already running');
        return;
      }
      restarting = rollingRestart().finally(() => (restarting = null));
    };
    const first = (name: NodeJS.Signals) => (): void => {
      io.signals.off('SIGTERM', onTerm);
      io.signals.off('SIGINT', onInt);
      io.signals.off('SIGHUP', onHup);
      resolve(name);
    };
    const onTerm = first('SIGTERM');
    const onInt = first('SIGINT');
    io.signals.on('SIGTERM', onTerm);
    io.signals.on('SIGINT', onInt);
    io.signals.on('SIGHUP', onHup);
  });
  log.info(`shutting down (${signal}): draining ${live.size} worker${live.size === 1 ? '' : 's'}`);
  const force = (): void => {
    log.info('second signal: killing the workers now');
    for (const worker of live) worker.process.kill('SIGKILL');
    io.exit(1);
  };
  io.signals.on('SIGTERM', force);
  io.signals.on('SIGINT', force);
  // Workers ignore SIGINT (a terminal's Ctrl+C reaches the whole group): the primary tells them, once.
  await stopAll('SIGTERM');
  io.signals.off('SIGTERM', force);
  io.signals.off('SIGINT', force);
  log.info('stopped');
  return 0;
}

function signalNumber(signal: string): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
