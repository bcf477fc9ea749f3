/**
 * The fuzz run: a real server with the fuzz applications, attacked for a
 * bounded time by seeded random clients (random frames, random handshakes,
 * malformed handshakes and protocol violations over raw TCP) while
 * well-behaved clients exchange messages. Returns a report; the caller
 * asserts on it (tests/integration/fuzz.test.ts) or prints it
 * (tests/fuzz/run-fuzz.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { InMemoryChannelLayer, type InMemoryLayerStats } from '../../src/layers/memory-layer';
import { createServer } from '../../src/server/server';
import { FUZZ_JWT_SECRET, GOOD_ORIGIN, fuzzApplication } from './fuzz-apps';
import { Prng, randomFrame } from './random-input';
import { malformedHandshakes, rawHandshake, rawProtocolViolation, type RawOutcome } from './raw-clients';
import { WellBehavedChat, WellBehavedEcho } from './well-behaved';
import { scaled } from '../setup/calibrate';

/** Options of a fuzz run. */
export interface FuzzOptions {
  /** How long the attack lasts. */
  seconds: number;
  seed: number;
  /** Concurrent attacking clients. Default 8. */
  workers?: number;
  /** Well-behaved clients of each kind (echo, chat). Default 3. */
  goodClients?: number;
  /** Server maxPayload. Default 64 KiB. */
  maxPayload?: number;
}

/** What a run observed. */
export interface FuzzReport {
  seconds: number;
  seed: number;
  framesSent: number;
  fuzzConnections: number;
  /** Status of every refused ws-client handshake, counted. */
  refusedStatuses: Record<string, number>;
  /** Close codes the attacking ws clients saw, counted. */
  closeCodes: Record<string, number>;
  /** Attacking ws clients that neither closed nor were closed within the cap. */
  stuckClients: number;
  /** Raw TCP clients, by case: how many, how many the server closed, what it answered. */
  raw: Record<string, { count: number; closedByServer: number; answers: Record<string, number> }>;
  echo: { clients: number; messages: number; mismatches: number };
  chat: { clients: number; sentPerSender: number[]; missing: number; outOfOrder: number };
  /** Server connectionCount once every client left (after waiting up to 5 s). */
  connectionCountAfter: number;
  layerStatsAfter: InMemoryLayerStats;
  unhandledRejections: unknown[];
  serverErrors: unknown[];
  /** heapUsed in bytes: after warm-up, and after the run with every client gone. */
  heap: { baseline: number; after: number; gcAvailable: boolean };
}

// How long a misbehaving client waits for the server's answer: longer on a loaded machine.
const CAP_MS = scaled(4_000);

function gcFunction(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    // Node can expose gc at runtime; a fresh context picks the flag up.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

async function settleHeap(gc: (() => void) | null): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

function count(record: Record<string, number>, key: string | number | undefined): void {
  const k = String(key);
  record[k] = (record[k] ?? 0) + 1;
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Runs the fuzz and returns what it saw; everything it opened is closed before it returns. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { seconds, seed, workers = 8, goodClients = 3, maxPayload = 64 * 1024 } = options;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);

  const serverErrors: unknown[] = [];
  const layer = new InMemoryChannelLayer({ capacity: 200 });
  const server = createServer(fuzzApplication(layer), {
    maxPayload,
    pingInterval: 1_000,
    pongTimeout: 2_000,
    handshakeTimeout: 2_000,
    headersTimeout: 1_000,
    requestTimeout: 2_000,
    keepAliveTimeout: 1_000,
    idleSocketTimeout: 1_000,
    closeTimeout: 1_000,
    maxHeaderSize: 16 * 1024,
    closeLayers: false,
    onError: (error) => void serverErrors.push(error),
  });
  const gc = gcFunction();
  const report: FuzzReport = {
    seconds,
    seed,
    framesSent: 0,
    fuzzConnections: 0,
    refusedStatuses: {},
    closeCodes: {},
    stuckClients: 0,
    raw: {},
    echo: { clients: goodClients, messages: 0, mismatches: 0 },
    chat: { clients: goodClients, sentPerSender: [], missing: 0, outOfOrder: 0 },
    connectionCountAfter: -1,
    layerStatsAfter: layer.stats(),
    unhandledRejections: unhandled,
    serverErrors,
    heap: { baseline: 0, after: 0, gcAvailable: gc !== null },
  };
  const echoes: WellBehavedEcho[] = [];
  const chats: WellBehavedChat[] = [];
  try {
    const { port } = await server.listen(0, '127.0.0.1');
    const url = `ws://127.0.0.1:${port}`;

    // Warm-up, so lazily built code and buffers count in the baseline.
    const warm = await WellBehavedEcho.open(`${url}/echo`, 'warm');
    await warm.exchange(20);
    await warm.close();
    await waitUntil(() => server.connectionCount === 0, 5_000);
    report.heap.baseline = await settleHeap(gc);

    for (let i = 0; i < goodClients; i++) echoes.push(await WellBehavedEcho.open(`${url}/echo`, `e${i}`));
    for (let i = 0; i < goodClients; i++) chats.push(await WellBehavedChat.open(`${url}/chat/good`, i));

    const deadline = Date.now() + seconds * 1000;
    const attackers = Array.from({ length: workers }, (_, i) => attack(new Prng(seed + i), port, url, deadline, maxPayload, report));
    const good = [
      ...echoes.map((client) => client.runUntil(deadline)),
      ...chats.map((client) => client.runUntil(deadline)),
    ];
    await Promise.all([...attackers, ...good]);

    // Every chat message must reach every chat client, per sender in order.
    const sent = chats.map((c) => c.sent);
    await waitUntil(() => chats.every((c) => c.hasAll(sent)), 5_000);
    report.chat.sentPerSender = sent;
    for (const c of chats) {
      report.chat.missing += c.missing(sent);
      report.chat.outOfOrder += c.outOfOrder;
    }
    for (const e of echoes) {
      report.echo.messages += e.received;
      report.echo.mismatches += e.mismatches;
    }
  } finally {
    await Promise.all([...echoes, ...chats].map((client) => client.close()));
    await waitUntil(() => server.connectionCount === 0, 5_000);
    report.connectionCountAfter = server.connectionCount;
    // Let the applications' finally blocks (group discards) run.
    await waitUntil(() => layer.stats().memberships === 0 && layer.stats().waiters === 0, 2_000);
    report.layerStatsAfter = layer.stats();
    report.heap.after = await settleHeap(gc);
    await server.close({ timeoutMs: 3_000 });
    await layer.close();
    process.removeListener('unhandledRejection', onUnhandled);
  }
  return report;
}

/** One attacking worker: random scenarios until the deadline, each bounded. */
async function attack(rng: Prng, port: number, url: string, deadline: number, maxPayload: number, report: FuzzReport): Promise<void> {
  // Raw TCP cases mostly wait for a server timeout (about 1 s); they run in
  // the background, a few at a time, so the worker keeps sending frames.
  const raw = new Set<Promise<void>>();
  while (Date.now() < deadline) {
    const r = rng.next();
    if (r < 0.6) await frameFlood(rng, url, maxPayload, report);
    else if (r < 0.8) await handshakeFuzz(rng, url, report);
    else {
      if (raw.size >= 4) await Promise.race(raw);
      let outcome: Promise<RawOutcome>;
      if (r < 0.93) {
        const chosen = rng.pick(malformedHandshakes(rng));
        outcome = rawHandshake(port, chosen.name, chosen.bytes, CAP_MS);
      } else {
        outcome = rawProtocolViolation(port, rng, CAP_MS);
      }
      const running: Promise<void> = outcome.then((o) => {
        recordRaw(report, o);
        raw.delete(running);
      });
      raw.add(running);
    }
  }
  await Promise.all(raw);
}

function recordRaw(report: FuzzReport, outcome: RawOutcome): void {
  const entry = (report.raw[outcome.name] ??= { count: 0, closedByServer: 0, answers: {} });
  entry.count++;
  if (outcome.closedByServer) entry.closedByServer++;
  const answer = outcome.closeCode !== undefined ? `close ${outcome.closeCode}` : (outcome.statusLine?.split(' ').slice(0, 2).join(' ') ?? 'no answer');
  count(entry.answers, answer);
}

type Opened = { ws: WebSocket; closed: Promise<number> } | { status: number } | null;

/** Opens a ws client; resolves when open, refused (status) or failed (null), within the cap. */
function openClient(target: string, protocols: string[], options: WebSocket.ClientOptions): Promise<Opened> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(target, protocols, { ...options, handshakeTimeout: CAP_MS });
    } catch {
      return resolve(null); // e.g. a subprotocol list the client library itself refuses
    }
    const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)));
    ws.on('error', () => resolve(null));
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
  });
}

async function closeWithin(ws: WebSocket, closed: Promise<number>, report: FuzzReport): Promise<void> {
  if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([closed, new Promise<number>((res) => (timer = setTimeout(res, CAP_MS, -1)))]);
  clearTimeout(timer);
  if (code === -1) {
    report.stuckClients++;
    ws.terminate();
  } else {
    count(report.closeCodes, code);
  }
}

async function frameFlood(rng: Prng, url: string, maxPayload: number, report: FuzzReport): Promise<void> {
  const route = rng.pick(['/echo', '/json', '/dto', '/chat/fuzz-a', '/chat/fuzz-b']);
  const opened = await openClient(`${url}${route}`, [], { perMessageDeflate: false });
  report.fuzzConnections++;
  if (opened === null || !('ws' in opened)) return;
  const { ws, closed } = opened;
  for (let i = rng.int(10, 80); i > 0 && ws.readyState === WebSocket.OPEN; i--) {
    const frame = randomFrame(rng, maxPayload);
    if (frame.kind === 'binary') ws.send(frame.data, { binary: true });
    else if (frame.kind === 'raw-text') ws.send(frame.data, { binary: false });
    else ws.send(frame.data);
    report.framesSent++;
    // Let the socket drain now and then instead of buffering the whole burst.
    if (ws.bufferedAmount > maxPayload * 4 || i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await closeWithin(ws, closed, report);
}

async function handshakeFuzz(rng: Prng, url: string, report: FuzzReport): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const token = rng.pick([
    jwt.sign({ sub: 'fuzz', exp: now + 60 }, FUZZ_JWT_SECRET),
    jwt.sign({ sub: 'fuzz', exp: now - 60 }, FUZZ_JWT_SECRET),
    jwt.sign({ sub: 'fuzz' }, 'wrong-secret'),
    'not-a-token',
    '',
  ]);
  const path = rng.pick(['/secure', `/secure?token=${encodeURIComponent(token)}`, '/nowhere', '/echo']);
  const headers: Record<string, string> = {};
  if (rng.next() < 0.4) headers.authorization = rng.pick([`Bearer ${token}`, 'Bearer', `Basic ${token}`, token]);
  const protocols = rng.next() < 0.4 ? ['bearer', token || 'x'] : rng.next() < 0.2 ? [rng.pick(['chat', 'a.b', 'x-y'])] : [];
  const origin = rng.pick([GOOD_ORIGIN, 'https://evil.example', 'null', 'http://good.example', undefined]);
  const opened = await openClient(`${url}${path}`, protocols, { headers, ...(origin ? { origin } : {}) });
  report.fuzzConnections++;
  if (opened === null) return;
  if (!('ws' in opened)) {
    count(report.refusedStatuses, opened.status);
    return;
  }
  opened.ws.send(JSON.stringify(rng.json(3)));
  report.framesSent++;
  await closeWithin(opened.ws, opened.closed, report);
}
