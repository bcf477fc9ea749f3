/**
 * `switchyard serve` as operations see it: log level and format flags,
 * health endpoints on, misconfigured layer variables refused or warned
 * about before anything listens.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { run } from '../../../src/cli/main';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';
import { fakeIo, type FakeIo } from './helpers/fake-io';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'cli');

afterEach(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
});

/** The first capture of the first stderr match of `re`, waiting (bounded) for more output. */
async function waitForLine(io: FakeIo, re: RegExp, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = re.exec(io.err());
    if (match) return match[1] ?? match[0];
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no line matching ${re} within ${ms} ms; got:\n${io.err()}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      io.stderr.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Send `request` on a fresh TCP connection; resolves with what comes back until the server closes it (bounded). */
function rawRequest(port: number, request: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${ms} ms: ${text}`));
    }, ms);
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

describe('switchyard serve for operations', () => {
  it('--log-format json writes JSON lines and the server answers /healthz and /readyz', async () => {
    const io = fakeIo({ CHANNEL_LAYER_URL: 'memory://' }, FIXTURES);
    const done = run(['serve', 'echo-app.ts', '--port', '0', '--log-format', 'json'], io);
    const port = await waitForLine(io, /"msg":"listening on http:\/\/127\.0\.0\.1:(\d+)"/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ status: 'ready' });
    io.signals.emit('SIGTERM');
    expect(await done).toBe(0);
    const records = io.err().trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(records.map((r) => r.msg)).toEqual([
      'layer connected: InMemoryChannelLayer at memory:// (from CHANNEL_LAYER_URL)',
      `listening on http://127.0.0.1:${port}`,
      'shutting down (SIGTERM)',
      'stopped',
    ]);
    expect(records.every((r) => r.level === 30)).toBe(true);
  });

  it('--log-level debug logs a refused handshake with its reason', async () => {
    const io = fakeIo({}, FIXTURES);
    const done = run(['serve', 'echo-app.ts', '--port', '0', '--log-level', 'debug'], io);
    const port = await waitForLine(io, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    // An upgrade request without a key: refused before any application runs.
    const head = await rawRequest(Number(port), 'GET /ws/?token=s3cret HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    await waitForLine(io, /DEBUG handshake refused with 400: invalid handshake request: Missing or invalid Sec-WebSocket-Key header/);
    io.signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(io.err()).toContain('kind=invalid path="/ws/?token=***"');
    expect(io.err()).not.toContain('s3cret');
  });

  it.each([
    [['--log-level', 'loud'], /--log-level must be one of trace, debug, info, warn, error, fatal, silent/],
    [['--log-format', 'xml'], /--log-format must be text or json/],
    [['--drain-delay', 'soon'], /--drain-delay must be a number of milliseconds/],
  ])('%j exits 2 with a clear message', async (flags, message) => {
    const io = fakeIo({}, FIXTURES);
    expect(await run(['serve', 'echo-app.ts', ...flags], io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it.each([
    ['CHANNEL_LAYER_URL', 'memory://?capacty=5', /CHANNEL_LAYER_URL: .*unknown query key "capacty"/],
    ['CHANNEL_LAYER_URL', 'redis://:hunter2@127.0.0.1:6379/zero', /CHANNEL_LAYER_URL: .*database "zero" is not a database number/],
    ['REDIS_URL', 'redis://127.0.0.1:6379/0?prefx=a', /REDIS_URL: .*unknown query key "prefx"/],
  ])('%s=%s fails with exit 1 before listening', async (variable, url, message) => {
    const io = fakeIo({ [variable]: url }, FIXTURES);
    expect(await run(['serve', 'echo-app.ts', '--port', '0'], io)).toBe(1);
    expect(io.err()).toMatch(message);
    expect(io.err()).toContain('[ERR_INVALID_LAYER_CONFIG]');
    expect(io.err()).not.toContain('listening on');
    expect(io.err()).not.toContain('hunter2');
  });

  it('warns about CHANNEL_LAYERS_URL and says the embedded layer is in use', async () => {
    const io = fakeIo({ CHANNEL_LAYERS_URL: 'redis://127.0.0.1:6379' }, FIXTURES);
    const done = run(['serve', 'echo-app.ts', '--port', '0'], io);
    await waitForLine(io, /listening on/);
    io.signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(io.err()).toContain('[switchyard] WARN environment variable CHANNEL_LAYERS_URL looks like a misspelling of CHANNEL_LAYER_URL');
    expect(io.err()).toContain('[switchyard] channel layer: InMemoryChannelLayer (embedded, this process only; set CHANNEL_LAYER_URL to share)');
  });
});
