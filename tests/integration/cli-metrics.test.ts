/** `switchyard serve --metrics --dashboard`: both served, the dashboard URL with its token printed. */
import { parsePrometheusText } from '../helpers/prometheus-text';
import { exitCode, killAll, spawnCli } from './cli-helpers';

afterEach(killAll);

it('serve --metrics --dashboard prints the URLs; /metrics parses, the dashboard needs the printed token', async () => {
  const proc = spawnCli(['serve', 'tests/fixtures/cli/echo-app.ts', '--port', '0', '--metrics', '--dashboard'], { CHANNEL_LAYER_URL: 'memory://' });
  const port = await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const dashboard = await proc.waitFor(/dashboard at (http:\/\/\S+)/);
  expect(proc.stderr()).toContain(`metrics on http://127.0.0.1:${port}/metrics`);
  expect(dashboard).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/dashboard\\?token=[\\w-]{32}$`));
  const families = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  expect(families.has('switchyard_connections_open')).toBe(true);
  expect((await fetch(dashboard)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${port}/dashboard`)).status).toBe(401);
  proc.child.kill('SIGTERM');
  expect(await exitCode(proc)).toBe(0);
});

it('serve --metrics-port serves /metrics on its own port; the dashboard token comes from the environment', async () => {
  const token = 'from-the-environment-0123456789';
  const proc = spawnCli(['serve', 'tests/fixtures/cli/echo-app.ts', '--port', '0', '--metrics-port', '0', '--dashboard'], {
    CHANNEL_LAYER_URL: 'memory://',
    SWITCHYARD_DASHBOARD_TOKEN: token,
  });
  const metricsPort = await proc.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
  const dashboard = await proc.waitFor(/dashboard at (http:\/\/\S+)/);
  expect(dashboard.endsWith(`?token=${token}`)).toBe(true);
  expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
  proc.child.kill('SIGTERM');
  expect(await exitCode(proc)).toBe(0);
});
