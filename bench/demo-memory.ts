/**
 * Memory of the demo as `npm run demo` runs it (`node --require tsx/cjs`,
 * in-memory layer with the rooms' history, presence, bot, metrics, dashboard)
 * next to the raw ws server under the same loader: RSS and heap of an empty
 * process, and per idle connection to the tutorial endpoint
 * (`/ws/chat/<room>/?name=…`: one group with history, one presence entry,
 * the class-validator DTO loaded) above the same server warmed up and empty.
 * Also the empty process loading one piece more at a time (`--stages`), to
 * say what the loader, the library and each peer dependency cost a process.
 *
 *   npx tsx bench/demo-memory.ts [connections=2000] [--stages] [--heap-snapshots DIR] [--loader tsx|tsc] [--semi-space MiB]
 *
 * Loopback only, port 0, every process stopped at the end; the clients run in
 * a forked process so their memory is not counted. Under tsx the demo loads
 * `switchyard-channels` from src/ (tsconfig paths, as `npm run demo` does);
 * with `--loader tsc` from dist/: run `npm run build` after changing src/.
 * Heap figures are V8's used heap after a full GC; RSS moves with the size
 * V8 gives its young generation at that moment (see `--semi-space`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeHeapSnapshot } from 'node:v8';
import WebSocket from 'ws';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// `--semi-space N`: V8's young generation held at N MiB per semi-space in the server processes. By
// default it is sized by V8 from the recent allocation rate, so the RSS of a sample depends on
// what the process did just before (a handshake burst grows it by tens of MiB) more than on what
// it holds: with it fixed, RSS per connection is the old generation's and the native share.
const SEMI_SPACE = option('--semi-space');
// `--loader tsc`: TypeScript's own emit (bench/lib/transpile-register.js) instead of tsx, to tell the loader's share.
const LOADER = [
  '--expose-gc',
  ...(SEMI_SPACE === undefined ? [] : [`--min-semi-space-size=${SEMI_SPACE}`, `--max-semi-space-size=${SEMI_SPACE}`]),
  '--require',
  option('--loader') === 'tsc' ? require.resolve('./lib/transpile-register.js') : 'tsx/cjs',
];
const ROOMS = 20;

interface Sample {
  rss: number;
  heapUsed: number;
  /** V8's committed heap: what of RSS the heap holds, used or not. */
  heapTotal: number;
  external: number;
}

function fullGcSample(): Sample {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

// ------------------------------------------------------------------ server child

async function serveDemo(): Promise<number> {
  // As demo/server.ts main() does, minus the port and connection caps that would refuse the clients.
  // require, not import(): the demo's loader (tsx/cjs) hooks require only.
  const { configureChannelLayers } = require('switchyard-channels') as typeof import('switchyard-channels');
  const { createDemo } = require('../demo/create-demo') as typeof import('../demo/create-demo');
  const { demoLayerConfig } = require('../demo/history') as typeof import('../demo/history');
  configureChannelLayers({ default: demoLayerConfig('memory://') });
  const demo = await createDemo({
    port: 0,
    bot: true,
    metrics: true,
    dashboard: true,
    maxConnections: 100_000,
    maxConnectionsPerAddress: Infinity,
    messagesPerSecond: 2000,
  });
  return demo.port;
}

async function serveRaw(): Promise<number> {
  // The bench's raw server logic, without its RPC wrapper.
  const http = require('node:http') as typeof import('node:http');
  const { WebSocketServer } = require('ws') as typeof import('ws');
  const rooms = new Map<string, Set<WebSocket>>();
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 1 << 20 });
  server.on('upgrade', (req, socket, head) => {
    const match = /^\/ws\/chat\/([^/?]+)\//.exec(req.url ?? '');
    if (!match) return socket.destroy();
    const room = match[1]!;
    wss.handleUpgrade(req, socket, head, (ws) => {
      let members = rooms.get(room);
      if (!members) rooms.set(room, (members = new Set()));
      members.add(ws);
      ws.on('message', (data) => {
        const message = (JSON.parse(data.toString()) as { message?: unknown }).message;
        if (typeof message !== 'string') return;
        const text = JSON.stringify({ message });
        for (const member of members!) member.send(text);
      });
      ws.on('close', () => members!.delete(ws));
      ws.on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Load the pieces named in `stage` (cumulative, in this order) and hold them. */
async function loadStage(stage: string): Promise<number> {
  const order = ['ws', 'library', 'validation', 'metrics', 'demo'];
  const upTo = order.indexOf(stage);
  const held: unknown[] = [];
  if (upTo >= 0) held.push(require('ws'));
  if (upTo >= 1) held.push(require('switchyard-channels'));
  if (upTo >= 2) held.push(require('reflect-metadata'), require('class-validator'), require('class-transformer'));
  if (upTo >= 3) held.push(require('prom-client'));
  if (upTo >= 4) return serveDemo();
  (globalThis as { held?: unknown }).held = held;
  return 0;
}

async function serverChild(kind: string): Promise<void> {
  const port = kind === 'demo' ? await serveDemo() : kind === 'raw' ? await serveRaw() : await loadStage(kind.slice('stage:'.length));
  process.on('message', (m: string) => {
    if (m === 'memory') process.send!({ memory: fullGcSample() });
    else if (m === 'stop') process.exit(0);
    else if (m.startsWith('snapshot:')) {
      fullGcSample();
      process.send!({ snapshot: writeHeapSnapshot(m.slice('snapshot:'.length)) });
    }
  });
  process.send!({ port });
}

// ------------------------------------------------------------------ clients child

async function clientsChild(url: string, count: number): Promise<void> {
  const open: WebSocket[] = [];
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from(
        { length: Math.min(100, count - i) },
        (_, j) =>
          new Promise<void>((resolve, reject) => {
            const n = i + j;
            // A page's Origin: the demo's origin check refuses a handshake without one.
            const ws = new WebSocket(`${url}/ws/chat/room-${n % ROOMS}/?name=user${n}`, { origin: url.replace(/^ws/, 'http') });
            ws.on('message', () => undefined);
            ws.once('open', () => resolve());
            ws.once('error', reject);
            ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
            open.push(ws);
          }),
      ),
    );
  }
  process.send!({ ready: open.length });
  process.once('message', () => {
    let left = open.length;
    if (left === 0) process.exit(0);
    for (const ws of open) {
      ws.once('close', () => --left === 0 && process.exit(0));
      ws.close();
    }
    setTimeout(() => process.exit(0), 5000).unref();
  });
}

// ------------------------------------------------------------------ parent

function once<T>(child: ChildProcess, key: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${key} from child within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m[key] as T);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before ${key}`)));
  });
}

async function startChild(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(__filename, ['--server', kind], { execArgv: LOADER, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await once<number>(child, 'port', 60_000);
  return { child, port };
}

async function memoryOf(child: ChildProcess): Promise<Sample> {
  child.send('memory');
  return once<Sample>(child, 'memory', 60_000);
}

/** `--heap-snapshots DIR`: snapshots before and while holding the connections (diff with bench/heap-summary.ts). */
function snapshotDir(): string | null {
  const i = process.argv.indexOf('--heap-snapshots');
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

async function snapshot(child: ChildProcess, file: string): Promise<void> {
  child.send(`snapshot:${file}`);
  await once<string>(child, 'snapshot', 300_000);
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function holdClients(port: number, count: number, whileHeld: () => Promise<Sample>): Promise<Sample> {
  const clients = fork(__filename, ['--clients', `ws://127.0.0.1:${port}`, String(count)], {
    execArgv: ['--require', 'tsx/cjs'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await once<number>(clients, 'ready', 120_000);
  if (ready !== count) throw new Error(`only ${ready} of ${count} connected`);
  const sample = await whileHeld();
  const exited = new Promise((resolve) => clients.once('exit', resolve));
  clients.send('stop');
  await exited;
  return sample;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

interface PerConnection {
  empty: Sample;
  rssPerConn: number;
  heapPerConn: number;
  heapTotalPerConn: number;
  externalPerConn: number;
}

async function measure(kind: 'raw' | 'demo', count: number): Promise<PerConnection> {
  const { child, port } = await startChild(kind);
  try {
    const empty = await memoryOf(child);
    // Warm up: JIT, lazily loaded modules, the rooms' groups and interned strings.
    await holdClients(port, Math.min(200, count), () => memoryOf(child));
    const before = await memoryOf(child);
    const dir = snapshotDir();
    if (dir !== null) await snapshot(child, `${dir}/${kind}-before.heapsnapshot`);
    const after = await holdClients(port, count, async () => {
      const sample = await memoryOf(child);
      if (dir !== null) await snapshot(child, `${dir}/${kind}-after-${count}.heapsnapshot`);
      return sample;
    });
    return {
      empty,
      rssPerConn: (after.rss - before.rss) / count,
      heapPerConn: (after.heapUsed - before.heapUsed) / count,
      heapTotalPerConn: (after.heapTotal - before.heapTotal) / count,
      externalPerConn: (after.external - before.external) / count,
    };
  } finally {
    await stopChild(child);
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 2000);
  if (!(count > 0 && count <= 20_000)) throw new Error('connections: 1 to 20000');
  const rows: string[] = [];
  const raw = await measure('raw', count);
  const demo = await measure('demo', count);
  rows.push(`idle connections: ${count} in ${ROOMS} rooms (ws/chat/<room>/?name=…), clients in another process; loader: node ${LOADER.join(' ')}`);
  const line = (m: PerConnection): string =>
    `empty RSS ${mib(m.empty.rss)} heap ${mib(m.empty.heapUsed)}; per connection RSS ${kb(m.rssPerConn)} heap ${kb(m.heapPerConn)} ` +
    `(committed ${kb(m.heapTotalPerConn)}) external ${kb(m.externalPerConn)}`;
  rows.push(`raw ws : ${line(raw)}`);
  rows.push(`demo   : ${line(demo)}`);
  rows.push(`demo - raw per connection: RSS +${kb(demo.rssPerConn - raw.rssPerConn)} heap +${kb(demo.heapPerConn - raw.heapPerConn)}`);
  if (process.argv.includes('--stages')) {
    for (const stage of ['none', 'ws', 'library', 'validation', 'metrics']) {
      const { child } = await startChild(`stage:${stage}`);
      const m = await memoryOf(child);
      await stopChild(child);
      rows.push(`empty process, loaded up to ${stage.padEnd(10)}: RSS ${mib(m.rss)} heap ${mib(m.heapUsed)}`);
    }
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

if (process.argv[2] === '--server') void serverChild(process.argv[3]!);
else if (process.argv[2] === '--clients') void clientsChild(process.argv[3]!, Number(process.argv[4]));
else
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
