import WebSocket from 'ws';
import { exitCode, killAll, spawnCli } from './cli-helpers';

afterEach(killAll);

describe('switchyard (spawned)', () => {
  it('--help exits 0; an unknown command exits 2 with a clear message', async () => {
    const help = spawnCli(['--help']);
    expect(await exitCode(help)).toBe(0);
    expect(help.stdout()).toMatch(/Usage: switchyard <command>/);

    const bad = spawnCli(['frob']);
    expect(await exitCode(bad)).toBe(2);
    expect(bad.stderr()).toMatch(/unknown command "frob"/);

    const noApp = spawnCli(['serve', 'tests/fixtures/cli/no-app.ts']);
    expect(await exitCode(noApp)).toBe(1);
    expect(noApp.stderr()).toMatch(/exports no application: looked for export default/);
  });

  it('serve: port 0, HTTP and WebSocket on one port, SIGTERM stops it cleanly with 0', async () => {
    const proc = spawnCli(['serve', 'tests/fixtures/cli/echo-app.ts', '--port', '0'], { CHANNEL_LAYER_URL: 'memory://' });
    const port = await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    expect(proc.stderr()).toContain('[switchyard] layer connected: InMemoryChannelLayer at memory://');

    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe('ok');

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hi'));
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    expect(reply).toBe('echo:hi');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    proc.child.kill('SIGTERM');
    expect(await exitCode(proc)).toBe(0);
    // Graceful: the open WebSocket was closed with 1001 (going away).
    expect(await closed).toBe(1001);
    expect(proc.stderr()).toMatch(/shutting down \(SIGTERM\)\n\[switchyard\] stopped\n$/);
  });

  it('shell: reads a script from a pipe, awaits in order, exits 0 at end of input', async () => {
    const proc = spawnCli(['shell'], { SWITCHYARD_HISTORY: '' });
    proc.child.stdin.end(
      [
        'const ch = await newChannel()',
        "await send(ch, { type: 'greeting', text: 'hello from the shell' })",
        '(await receive(ch)).text',
        "await groupSend('chat_lobby', { type: 'chat.message', message: 'hi' })",
      ].join('\n') + '\n',
    );
    expect(await exitCode(proc)).toBe(0);
    expect(proc.stdout()).toContain("'hello from the shell'");
    expect(proc.stdout()).toContain('{ dropped: 0 }');
    expect(proc.stderr()).toContain('layer connected: InMemoryChannelLayer');
  });

  it('worker: starts reading, logs, and stops on SIGTERM with 0', async () => {
    const proc = spawnCli(['worker', 'tests/fixtures/cli/worker-app.ts', 'jobs']);
    await proc.waitFor(/worker reading jobs/);
    proc.child.kill('SIGTERM');
    expect(await exitCode(proc)).toBe(0);
    expect(proc.stderr()).toMatch(/shutting down \(SIGTERM\)\n\[switchyard\] stopped\n$/);
  });
});
