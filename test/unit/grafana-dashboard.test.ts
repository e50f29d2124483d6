// The Grafana dashboard in docs/ queries only metrics that the API and workers really export.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { WorkerMetrics } from '../../src/worker/metrics.js';

const dashboard = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

test('every panel of the dashboard queries metrics the API or a worker exports', async () => {
  const worker = new WorkerMetrics();
  const exported = new Set((await worker.registry.getMetricsAsJSON()).map((m) => m.name));
  // The API's metrics are declared in src/api/metrics.ts; their names are read from its source so no Temporal client is needed here.
  const apiSource = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'src', 'api', 'metrics.ts'), 'utf8');
  for (const m of apiSource.matchAll(/name: '(sluice_[a-z_]+)'/g)) exported.add(m[1]!);
  assert.ok(dashboard.panels.length >= 8);
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, panel.title);
    for (const { expr } of panel.targets) {
      const names = [...expr.matchAll(/\b(sluice_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''));
      assert.ok(names.length > 0, `${panel.title}: ${expr}`);
      for (const name of names) assert.ok(exported.has(name), `${panel.title}: ${name} is not exported`);
    }
  }
});
