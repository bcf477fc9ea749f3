import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scaled } from '../setup/calibrate';

// `npm run bench -- --quick` is what CI runs to prove the benchmark still
// works: every scenario on every server completes, produces its JSON, and
// every delivery it checked arrived exactly once. It asserts nothing about speed.

const ROOT = path.resolve(__dirname, '..', '..');
const SCENARIOS = ['fanout-100', 'fanout-1000', 'rooms', 'latency', 'idle', 'churn', 'redis-cost'];
const SERVERS = ['raw', 'memory', 'phoenix', 'redis', 'pubsub', 'socketio', 'socketio-redis'];
const REDIS_SERVERS = new Set(['redis', 'pubsub', 'socketio-redis']);
const REDIS_ONLY = new Set(['redis-cost']);
// The Phoenix-protocol server runs the fan-out and latency scenarios only.
const NOT_PHOENIX = new Set(['idle', 'churn', 'redis-cost']);
// The churn loop speaks the tutorial protocol only: not the Socket.IO peer.
const NOT_SOCKETIO = new Set(['churn']);
// The bench alone takes ~20 s on an idle machine (with the two Socket.IO peers); its limit scales with the machine's calibrated load.
const TIMEOUT_MS = scaled(90_000);

interface BenchRecord {
  scenario: string;
  server: string;
  figures: Record<string, number>;
  error?: string;
}

describe('bench --quick (spawned)', () => {
  let dir: string;
  let child: ChildProcess | null = null;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'runs every scenario on every server and checks every delivery',
    async () => {
      const jsonPath = path.join(dir, 'quick.json');
      let stdout = '';
      let stderr = '';
      const code = await new Promise<number | null>((resolve, reject) => {
        child = spawn(process.execPath, ['--require', 'tsx/cjs', 'bench/run.ts', '--quick', '--json', jsonPath], {
          cwd: ROOT,
          env: { ...process.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        // SIGTERM lets the bench stop its own servers and load generator.
        const timer = setTimeout(() => child?.kill('SIGTERM'), TIMEOUT_MS);
        child.once('error', reject);
        child.once('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      if (code !== 0) throw new Error(`bench --quick exited with ${code}\n--- stdout ---\n${stdout}\n--- stderr (tail) ---\n${stderr.slice(-3000)}`);
      expect(stdout).toContain('### The bar');

      const result = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
        options: { quick: boolean; runs: number };
        records: BenchRecord[];
        summary: Record<string, Record<string, unknown>>;
      };
      expect(result.options).toMatchObject({ quick: true, runs: 1 });
      expect(Object.keys(result.summary).sort()).toEqual([...SCENARIOS].sort());
      expect(result.records.filter((r) => r.error)).toEqual([]);

      for (const scenario of SCENARIOS) {
        const servers = result.records.filter((r) => r.scenario === scenario).map((r) => r.server).sort();
        const expected = SERVERS.filter((s) => !REDIS_ONLY.has(scenario) || REDIS_SERVERS.has(s))
          .filter((s) => s !== 'phoenix' || !NOT_PHOENIX.has(scenario))
          .filter((s) => !s.startsWith('socketio') || !NOT_SOCKETIO.has(scenario))
          .sort();
        expect({ scenario, servers }).toEqual({ scenario, servers: expected });
      }
      for (const r of result.records) {
        const where = `${r.scenario} on ${r.server}`;
        if (r.scenario === 'churn') {
          expect({ where, failures: r.figures.failures }).toEqual({ where, failures: 0 });
          expect(r.figures.cycles).toBeGreaterThan(0);
          continue;
        }
        expect({ where, lost: r.figures.lost, duplicated: r.figures.duplicated, outOfOrder: r.figures.outOfOrder, unexpected: r.figures.unexpected }).toEqual({
          where,
          lost: 0,
          duplicated: 0,
          outOfOrder: 0,
          unexpected: 0,
        });
        if (r.scenario === 'redis-cost') {
          expect(r.figures['commandsPerGroupSend@1']).toBeGreaterThan(0);
        } else {
          expect(r.figures.delivered).toBeGreaterThan(0);
        }
      }
    },
    TIMEOUT_MS + 10_000,
  );
});
