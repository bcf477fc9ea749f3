import * as net from 'node:net';
import * as path from 'node:path';
import { main, run } from '../../../src/cli/main';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';
import { fakeIo } from './helpers/fake-io';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'cli');

describe('switchyard (in-process)', () => {
  afterEach(async () => {
    await closeChannelLayers();
    configureChannelLayers(null);
  });

  it('prints help with exit 0, and usage to stderr with 2 when no command is given', async () => {
    const io = fakeIo();
    expect(await run(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: switchyard <command>/);
    const bare = fakeIo();
    expect(await run([], bare)).toBe(2);
    expect(bare.err()).toMatch(/^Usage: switchyard <command>/);
  });

  it.each([
    ['serve', /^Usage: switchyard serve <module>/],
    ['shell', /^Usage: switchyard shell \[module\]/],
    ['worker', /^Usage: switchyard worker <module>/],
  ])('%s --help and help %s', async (command, usage) => {
    const io = fakeIo();
    expect(await run([command, '--help'], io)).toBe(0);
    expect(io.out()).toMatch(usage);
    const io2 = fakeIo();
    expect(await run(['help', command], io2)).toBe(0);
    expect(io2.out()).toBe(io.out());
  });

  it('prints the version', async () => {
    const io = fakeIo();
    expect(await run(['--version'], io)).toBe(0);
    expect(io.out()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['frob'], /switchyard: unknown command "frob"; commands: serve, shell, worker/],
    [['--frob'], /switchyard: unknown option --frob/],
    [['serve'], /switchyard serve: missing <module>/],
    [['serve', 'a.ts', 'b.ts'], /switchyard serve: unexpected argument "b.ts"/],
    [['serve', 'a.ts', '--bogus'], /switchyard serve: unknown option --bogus\nRun 'switchyard serve --help' for usage./],
    [['serve', 'a.ts', '--port', 'http'], /--port must be a port number/],
    [['worker'], /switchyard worker: missing <module>/],
    [['worker', 'echo-app.ts'], /name at least one channel/],
    [['worker', 'echo-app.ts', 'bad!name'], /"bad!name" is not a channel a worker can read/],
    [['shell', 'a', 'b'], /switchyard shell: unexpected argument "b"/],
    [['help', 'frob'], /no help for unknown command "frob"/],
  ])('%j exits 2 with a clear message', async (argv, message) => {
    const io = fakeIo({}, FIXTURES);
    expect(await run(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('a missing module, a module without an application and a throwing module exit 1', async () => {
    const missing = fakeIo({}, FIXTURES);
    expect(await run(['serve', 'nowhere.ts'], missing)).toBe(1);
    expect(missing.err()).toMatch(/switchyard serve: cannot find module "nowhere.ts".*\[ERR_MODULE_LOAD_FAILED\]/);

    const noApp = fakeIo({}, FIXTURES);
    expect(await run(['serve', 'no-app.ts'], noApp)).toBe(1);
    expect(noApp.err()).toContain('looked for export default, export const application, export const app');
    expect(noApp.err()).toContain('it exports settings, helper');

    const throws = fakeIo({}, FIXTURES);
    expect(await run(['worker', 'throws.ts', 'jobs'], throws)).toBe(1);
    expect(throws.err()).toContain('fixture exploded on import');
  });

  it('a bad layer URL in the environment is a clear error, password redacted', async () => {
    const io = fakeIo({ REDIS_URL: 'memory://user:hunter2@x' }, FIXTURES);
    expect(await run(['serve', 'echo-app.ts'], io)).toBe(1);
    expect(io.err()).toMatch(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(io.err()).not.toContain('hunter2');
  });

  it('serve listens, logs its lifecycle, and stops on SIGTERM with 0', async () => {
    const io = fakeIo({ CHANNEL_LAYER_URL: 'memory://' }, FIXTURES);
    const done = run(['serve', 'echo-app.ts', '--port', '0'], io);
    const port = await waitForLine(io, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe('ok');
    io.signals.emit('SIGTERM');
    expect(await done).toBe(0);
    const lines = io.err().trim().split('\n');
    expect(lines[0]).toBe('[switchyard] layer connected: InMemoryChannelLayer at memory:// (from CHANNEL_LAYER_URL)');
    expect(lines.slice(2)).toEqual(['[switchyard] shutting down (SIGTERM)', '[switchyard] stopped']);
  });

  it('serve reports a port in use and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const io = fakeIo({}, FIXTURES);
      expect(await run(['serve', 'echo-app.ts', '--port', String(port)], io)).toBe(1);
      expect(io.err()).toContain(`cannot listen on 127.0.0.1:${port}: the address is in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('serve takes PORT from the environment and refuses a bad one', async () => {
    const io = fakeIo({ PORT: 'eighty' }, FIXTURES);
    expect(await run(['serve', 'echo-app.ts'], io)).toBe(2);
    expect(io.err()).toMatch(/PORT must be a port number/);
  });

  it('main() hands the exit code to io.exit', async () => {
    const io = fakeIo();
    await main(['frob'], io);
    expect(io.exits).toEqual([2]);
  });
});

/** Wait for a stderr line matching `re`; resolves with its first capture. */
async function waitForLine(io: ReturnType<typeof fakeIo>, re: RegExp, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = re.exec(io.err());
    if (match) return match[1]!;
    if (Date.now() > deadline) throw new Error(`no line matching ${re} within ${ms} ms; got:\n${io.err()}`);
    await new Promise<void>((resolve) => (io.stderr as unknown as NodeJS.ReadableStream).once('data', () => resolve()));
  }
}
