/**
 * What every bench server process does besides serving: announce its port and
 * pid, answer memory requests (after a full GC, so heap figures are live data),
 * and shut down on request.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { announceReady, fdLimit, serveRpc } from '../lib/rpc';

/** A started server: its port and how to close it. */
export interface StartedServer {
  port: number;
  close(): Promise<void>;
}

/** What the memory request returns. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  // Twice: the first pass can leave weak/finalizable objects for the second.
  gc();
  gc();
}

/** Start the server with `start`, then serve the bench parent's requests. */
export function runServerChild(start: () => Promise<StartedServer>): void {
  let server: StartedServer | null = null;
  let session: Session | null = null;
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  serveRpc({
    // --profile: a CPU profile of exactly the send phase, not of start-up and connecting.
    profileStart: async () => {
      session ??= new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 100 });
      await post('Profiler.start');
      return true;
    },
    profileStop: async ({ file }: { file: string }) => {
      const { profile } = await post('Profiler.stop');
      session!.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
    heapSnapshot: ({ file }: { file: string }) => {
      fullGc();
      return writeHeapSnapshot(file);
    },
    memory: (): MemorySample => {
      fullGc();
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    },
    stop: async () => {
      const s = server;
      server = null;
      // Reply first, exit right after: the parent only waits for the exit.
      setImmediate(() => {
        const done = () => process.exit(0);
        if (!s) return done();
        const hard = setTimeout(done, 3000);
        hard.unref();
        s.close().then(done, done);
      });
      return true;
    },
  });
  start().then(
    (started) => {
      server = started;
      announceReady({ pid: process.pid, port: started.port, fdLimit: fdLimit() });
    },
    (error: unknown) => {
      process.stderr.write(`server failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
