import { PassThrough } from 'node:stream';
import { defaultHistoryPath, startShell, type Shell } from '../../../src/cli/repl';
import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import { PresenceTracker } from '../../../src/presence/presence-tracker';

describe('startShell (input from a pipe)', () => {
  let layer: InMemoryChannelLayer;
  let shell: Shell | undefined;
  let input: PassThrough;
  let output: PassThrough;
  let text: string;

  beforeEach(() => {
    layer = new InMemoryChannelLayer();
    input = new PassThrough();
    output = new PassThrough();
    text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
  });
  afterEach(async () => {
    shell?.close();
    await shell?.closed;
    shell = undefined;
    await layer.close();
  });

  const start = (extra: Partial<Parameters<typeof startShell>[0]> = {}): Shell =>
    (shell = startShell({ layer, input, output, history: false, ...extra }));

  it('a groupSend typed at the prompt reaches a group member in this process', async () => {
    const channel = await layer.newChannel();
    await layer.groupAdd('chat_lobby', channel);
    start();
    input.write("await groupSend('chat_lobby', { type: 'chat.message', message: 'hello from the shell' })\n");
    await expect(layer.receive(channel)).resolves.toEqual({ type: 'chat.message', message: 'hello from the shell' });
    input.end();
    await shell!.closed;
    expect(text).toContain('{ dropped: 0 }');
  });

  it('runs piped lines in order, each after the previous await', async () => {
    start();
    input.end(
      [
        "const ch = await newChannel('shell')",
        "await send(ch, { type: 'a', n: 1 })",
        "await send(ch, { type: 'a', n: 2 })",
        'const first = await receive(ch)',
        'const second = await receive(ch)',
        '[first.n, second.n]',
        "await groupAdd('g', ch)",
        "await layer.groupAdd('g', ch)",
        "(await members('g')).length",
      ].join('\n') + '\n',
    );
    await shell!.closed;
    expect(text).toContain('[ 1, 2 ]');
    // `groupAdd` is not a helper: the error is printed and the next line still runs.
    expect(text).toMatch(/groupAdd is not defined/);
    expect(text).toMatch(/switchyard> 1\n/);
  });

  it('receive() fails with a clear timeout message', async () => {
    start({ receiveTimeoutMs: 50 });
    input.end("const c = await newChannel()\nawait receive(c)\nawait receive(c, 20)\n'after'\n");
    await shell!.closed;
    expect(text).toMatch(/ReceiveTimeout: no message on "specific\.[^"]+" within 50 ms/);
    expect(text).toMatch(/within 20 ms/);
    expect(text).toContain("'after'");
  });

  it('help() lists the helpers; context and presence add names', async () => {
    const presence = new PresenceTracker(layer);
    try {
      await presence.track('lobby', 'alice', 'c1', { name: 'Alice' });
      start({ context: { answer: 42 }, presence, prompt: '> ' });
      input.end("help()\nanswer + 1\nwho('lobby')\n");
      await shell!.closed;
      expect(text).toContain('groupSend(group, message)');
      expect(text).toContain('who(group)');
      expect(text).toContain('> 43');
      expect(text).toMatch(/id: 'alice'/);
    } finally {
      await presence.close();
    }
  });

  it('.exit ends the shell before the input does', async () => {
    start();
    input.write('.exit\n');
    await shell!.closed;
    input.end();
  });
});

describe('defaultHistoryPath', () => {
  it('uses SWITCHYARD_HISTORY, else ~/.switchyard_history, else none', () => {
    expect(defaultHistoryPath({ SWITCHYARD_HISTORY: '/tmp/h', HOME: '/home/u' })).toBe('/tmp/h');
    expect(defaultHistoryPath({ SWITCHYARD_HISTORY: '' , HOME: '/home/u' })).toBe(false);
    expect(defaultHistoryPath({ HOME: '/home/u' })).toBe('/home/u/.switchyard_history');
    expect(defaultHistoryPath({})).toBe(false);
  });
});
