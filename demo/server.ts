/**
 * `npm run demo`: the chat-rooms demo on one port.
 *
 *   npm run demo                         # http://127.0.0.1:8000, in-memory layer
 *   npm run demo -- --repl               # plus the switchyard shell in this process
 *   PORT=8001 CHANNEL_LAYER_URL=redis://127.0.0.1:6379/0 npm run demo   # share rooms with other processes
 *
 * Environment: PORT, HOST, CHANNEL_LAYER_URL (or REDIS_URL), ALLOWED_HOSTS
 * (comma-separated host names pages may be served from, for the origin check).
 */
import { parseArgs } from 'node:util';
import { configureChannelLayers, startShell } from 'switchyard-channels';
import { createDemo, type Demo } from './create-demo';
import { demoLayerConfig } from './history';

export { createDemo } from './create-demo';
export type { Demo, DemoOptions } from './create-demo';
export { demoLayerConfig } from './history';

const HELP = `Usage: npm run demo -- [options]     (or: npx tsx demo/server.ts [options])

The Switchyard chat-rooms demo: pages, websockets, presence and a bot on one port.

Options:
  -p, --port <n>   port (default $PORT, else 8000; 0 picks a free one)
  --host <host>    interface (default $HOST, else 127.0.0.1)
  --repl           open the switchyard shell in this process; try
                   await groupSend('chat_lobby', {type: 'chat.message', message: 'hello from the shell'})
  --no-bot         do not run the /help and /who bot in this process
  -h, --help       this text

Environment:
  CHANNEL_LAYER_URL  channel layer, e.g. redis://127.0.0.1:6379/0 (default: in-memory, this process only)
  REDIS_URL          used when CHANNEL_LAYER_URL is unset
  ALLOWED_HOSTS      host names the pages may be served from (default localhost,127.0.0.1,[::1])
  SWITCHYARD_DASHBOARD_TOKEN  token of the /dashboard page (default: a random one, printed at startup)
`;

function log(line: string): void {
  process.stderr.write(`[demo] ${line}\n`);
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return '(not a URL)';
  }
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`bad port ${JSON.stringify(text)}: give a number from 0 to 65535`);
  return port;
}

/** Run the demo until SIGINT/SIGTERM (or the end of the shell with --repl); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        repl: { type: 'boolean' },
        'no-bot': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\nSee npm run demo -- --help\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }

  let port: number;
  try {
    port = parsePort(values.port ?? process.env.PORT ?? '8000');
  } catch (error) {
    log(`could not start: ${(error as Error).message}`);
    return 1;
  }
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const allowedHosts = (process.env.ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');

  const explicit = process.env.CHANNEL_LAYER_URL?.trim();
  const redisUrl = process.env.REDIS_URL?.trim();
  // REDIS_URL is this demo's shortcut. The layer is configured here, not read from the environment
  // by getChannelLayer(), because it needs the rooms' history option.
  const layerUrl = explicit || redisUrl;
  try {
    configureChannelLayers({ default: demoLayerConfig(layerUrl || 'memory://') });
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    return 2;
  }

  let demo: Demo;
  try {
    const token = process.env.SWITCHYARD_DASHBOARD_TOKEN?.trim();
    demo = await createDemo({ port, host, allowedHosts, bot: !values['no-bot'], metrics: true, dashboard: token ? { token } : true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') log(`port ${port} is in use: pick another with PORT=8001 or --port 8001`);
    else log(`could not start: ${(error as Error).message}`);
    return 1;
  }
  const kind = demo.layer.constructor.name;
  log(
    layerUrl
      ? `channel layer: ${kind} at ${redact(layerUrl)}`
      : `channel layer: ${kind} (this process only; set CHANNEL_LAYER_URL=redis://127.0.0.1:6379/0 to share rooms between processes)`,
  );
  if (demo.bot) log(`bot reading channel ${demo.bot.channels.join(', ')}`);
  log(`listening on ${demo.url}`);
  log(`metrics at ${demo.url}/metrics`);
  log(`dashboard at ${demo.server.dashboardUrl()}`);

  const stop = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  let reason: string;
  if (values.repl) {
    const shell = startShell({ layer: demo.layer, presence: demo.presence, context: { demo } });
    reason = await Promise.race([stop, shell.closed.then(() => 'the shell ended')]);
    shell.close();
  } else {
    reason = await stop;
  }
  log(`shutting down (${reason})`);
  // A second signal while closing exits at once.
  const force = (): void => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await demo.close();
  log('stopped');
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(`failed: ${(error as Error)?.stack ?? String(error)}`);
      process.exit(1);
    },
  );
}
