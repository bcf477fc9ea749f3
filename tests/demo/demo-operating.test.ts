/** `npm run demo` runs with /metrics and /dashboard on, and prints the dashboard's URL with its token. */
import { closeAll, connectClient } from '../helpers';
import { parsePrometheusText } from '../helpers/prometheus-text';
import { cleanEnv, startDemoProcess, stopAll } from './processes';
import { redisLayerUrl } from './redis-url';

afterEach(async () => {
  await closeAll();
  await stopAll();
});

it('serves /metrics and the token-protected /dashboard printed at startup', async () => {
  const { child, url } = await startDemoProcess(['--no-bot'], cleanEnv());
  const dashboard = await child.waitFor(/dashboard at (http:\/\/\S+)/);
  expect(child.output()).toContain(`metrics at ${url}/metrics`);
  const families = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
  expect(families.has('switchyard_connections_open')).toBe(true);
  expect(families.has('nodejs_eventloop_lag_seconds')).toBe(true);
  expect(dashboard.startsWith(`${url}/dashboard?token=`)).toBe(true);
  expect((await fetch(dashboard)).status).toBe(200);
  expect((await fetch(`${url}/dashboard`)).status).toBe(401);
  expect(await child.stop()).toBe(0);
});

it('two demo processes on one Redis layer both show up on the dashboard of either', async () => {
  const token = 'shared-dashboard-token-0123456789';
  const { url } = redisLayerUrl('dashboard');
  const env = cleanEnv({ CHANNEL_LAYER_URL: url, SWITCHYARD_DASHBOARD_TOKEN: token });
  const a = await startDemoProcess(['--no-bot'], env);
  const b = await startDemoProcess(['--no-bot'], env);
  const pids = [a.child.process.pid, b.child.process.pid];
  const client = await connectClient(`${a.url.replace(/^http/, 'ws')}/dashboard/ws?token=${token}`, { timeoutMs: 10_000 });
  const seen = new Set<number>();
  const deadline = Date.now() + 15_000;
  while (seen.size < 2 && Date.now() < deadline) {
    const snapshot = JSON.parse(await client.nextText(10_000)) as { process: { pid: number }; layers: Array<{ alias: string; up: boolean }> };
    expect(snapshot.layers.find((l) => l.alias === 'default')?.up).toBe(true);
    seen.add(snapshot.process.pid);
  }
  expect([...seen].sort()).toEqual([...pids].sort());
  await client.close();
  expect(await Promise.all([a.child.stop(), b.child.stop()])).toEqual([0, 0]);
}, 60_000);
