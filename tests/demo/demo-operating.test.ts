/** `npm run demo` runs with /metrics and /dashboard on, and prints the dashboard's URL with its token. */
import { parsePrometheusText } from '../helpers/prometheus-text';
import { cleanEnv, startDemoProcess, stopAll } from './processes';

afterEach(stopAll);

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
