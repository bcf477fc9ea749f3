/** docs/grafana/switchyard.json queries only metric names Switchyard and prom-client actually expose. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { switchyardMetrics } from '../../src/metrics/collectors';

it('every metric name in the Grafana dashboard exists', async () => {
  const text = readFileSync(path.join(__dirname, '..', '..', 'docs', 'grafana', 'switchyard.json'), 'utf8');
  const dashboard = JSON.parse(text) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const used = new Set<string>();
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) for (const name of target.expr.match(/\b(?:switchyard|nodejs|process)_[a-z0-9_]+/g) ?? []) used.add(name);
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const known = new Set([...switchyardMetrics('switchyard_').map((m) => m.name), ...registry.getMetricsAsArray().map((m) => m.name)]);
  const missing = [...used].filter((name) => !known.has(name) && !known.has(name.replace(/_(bucket|sum|count)$/, '')));
  expect(used.size).toBeGreaterThan(15);
  expect(missing).toEqual([]);
});
