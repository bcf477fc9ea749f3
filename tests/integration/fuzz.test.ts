/**
 * Short-form fuzz (FUZZ_SECONDS, default 5): random frames, random JSON,
 * wide objects and deep nesting in unknown fields (against a DTO-validating
 * JSON consumer), random and malformed handshakes (many subprotocols, no
 * Host, HTTP/1.0) and protocol violations against a running server, while
 * well-behaved clients talk. Longer runs: tests/fuzz/run-fuzz.ts.
 */
import { runFuzz, type FuzzReport } from '../fuzz/fuzz-harness';
import { timeScale } from '../setup/calibrate';

// On a loaded machine the run lasts longer (calibrated), so it still throws as much at the server.
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 5) * timeScale();
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

describe('fuzz', () => {
  let report: FuzzReport;

  beforeAll(async () => {
    report = await runFuzz({ seconds: SECONDS, seed: SEED });
  }, SECONDS * 1000 + 25_000);

  it('threw thousands of frames and hundreds of handshakes at the server', () => {
    expect(report.framesSent).toBeGreaterThan(1_000);
    expect(report.fuzzConnections).toBeGreaterThan(50);
    expect(Object.keys(report.raw).length).toBeGreaterThan(3);
  });

  it('well-behaved clients got every message, in order', () => {
    expect(report.echo.messages).toBeGreaterThan(0);
    expect(report.echo.mismatches).toBe(0);
    expect(report.chat.sentPerSender.every((n) => n > 0)).toBe(true);
    expect(report.chat.missing).toBe(0);
    expect(report.chat.outOfOrder).toBe(0);
  });

  it('every misbehaving client was answered or closed by the server within its bound', () => {
    expect(report.stuckClients).toBe(0);
    for (const [name, entry] of Object.entries(report.raw)) {
      expect({ name, notClosed: entry.count - entry.closedByServer }).toEqual({ name, notClosed: 0 });
    }
    // Refusals are 4xx, never a 5xx from an application that fell over.
    for (const status of Object.keys(report.refusedStatuses)) expect(Number(status)).toBeLessThan(500);
    // Wide and deeply nested JSON gets error frames: no connection ends with 1011 (internal error).
    expect(report.closeCodes['1011']).toBeUndefined();
    for (const name of ['many subprotocols', 'upgrade without Host', 'HTTP/1.0 upgrade']) {
      const entry = report.raw[name];
      if (entry !== undefined) expect({ name, answers: Object.keys(entry.answers) }).toEqual({ name, answers: ['HTTP/1.1 400'] });
    }
  });

  it('left nothing behind: no connections, group memberships or waiters; no unhandled rejection; no application error', () => {
    expect(report.connectionCountAfter).toBe(0);
    expect(report.layerStatsAfter).toMatchObject({ groups: 0, memberships: 0, waiters: 0 });
    expect(report.unhandledRejections).toEqual([]);
    expect(report.serverErrors).toEqual([]);
  });

  it('heap returned near its baseline', () => {
    // A tolerant bound: jest, the JIT and V8's heap sizing add noise; a leak of
    // per-connection state over thousands of connections would exceed it.
    expect(report.heap.after - report.heap.baseline).toBeLessThan(32 * 1024 * 1024);
  });
});
