// docker-compose.yml as Compose itself reads it (`docker compose config`, or Debian's
// docker-compose; no engine needed): every Sluice service has what it needs to run, only the API
// and the Web UI are published, and no service starts before what it depends on is healthy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const root = path.join(import.meta.dirname, '..', '..');
const PAYLOAD_KEYS = 'k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | null>;
  ports?: ({ published: number | string; target: number } | string)[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  volumes?: ({ type: string; source: string; target: string } | string)[];
}

/** The file as Compose resolves it, with SLUICE_PAYLOAD_KEYS exported as an operator would. */
function resolved(): Record<string, Service> {
  const tool = execFileSync('bash', [path.join(root, 'scripts', 'ensure-compose.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim().split(' ');
  const out = execFileSync(tool[0]!, [...tool.slice(1), '--project-directory', root, '-f', path.join(root, 'docker-compose.yml'), 'config'], {
    cwd: root,
    env: { ...process.env, SLUICE_PAYLOAD_KEYS: PAYLOAD_KEYS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return (YAML.parse(out.toString()) as { services: Record<string, Service> }).services;
}

const services = resolved();
const sluice = Object.entries(services).filter(([, s]) => s.build !== undefined);
const role = (s: Service) => s.command?.[0];
/** Volumes in long form: Compose v2 prints them so, Debian's v1 as `source:target[:mode]`. */
const mountsOf = (s: Service) =>
  (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return v;
    const [source = '', target = ''] = v.split(':');
    return { type: source.startsWith('/') ? 'bind' : 'volume', source, target };
  });
const siteOf = (s: Service) => (s.command?.includes('--site') ? s.command[s.command.indexOf('--site') + 1] : undefined);

test('compose runs the API, a central worker and a site worker from the Sluice image, next to Postgres, Temporal and its Web UI', () => {
  assert.deepEqual(sluice.map(([, s]) => s.command?.join(' ')).sort(), ['api', 'worker', 'worker --site acme']);
  assert.match(services.temporal!.image!, /^temporalio\/(auto-setup|server):1\.29\.1$/, 'the server version the tests run');
  assert.ok(services['temporal-ui']);
  assert.ok(services.postgres);
});

test('only the API and the Web UI are published; Temporal frontend and Postgres stay on the compose network', () => {
  const published = Object.entries(services)
    .filter(([, s]) => (s.ports ?? []).length > 0)
    .map(([name, s]) => `${name}:${(s.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.published}->${p.target}`)).join(',')}`)
    .sort();
  assert.deepEqual(published, ['api:3000->3000', 'temporal-ui:8233->8080']);
});

test('every dependency is waited for until healthy, and every service something depends on has a healthcheck', () => {
  for (const [name, s] of Object.entries(services)) {
    for (const [dep, how] of Object.entries(s.depends_on ?? {})) {
      assert.equal(how.condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
      const check = services[dep]?.healthcheck;
      assert.ok(check && !check.disable && check.test, `${dep} has a healthcheck (${name} depends on it)`);
    }
  }
  for (const [name, s] of sluice) {
    assert.deepEqual(Object.keys(s.depends_on ?? {}).sort(), ['postgres', 'temporal'], `${name} starts after Postgres and Temporal`);
  }
  assert.deepEqual(Object.keys(services['temporal-ui']!.depends_on ?? {}), ['temporal']);
  assert.deepEqual(Object.keys(services.temporal!.depends_on ?? {}), ['postgres']);
  assert.ok(services.api!.healthcheck?.test, 'the API has a healthcheck (/healthz)');
  const central = sluice.find(([, s]) => role(s) === 'worker' && !siteOf(s))![1];
  assert.match(JSON.stringify(central.healthcheck?.test), new RegExp(`:${central.environment?.SLUICE_METRICS_PORT}/metrics`), 'the central worker is checked on its metrics port');
});

test('every Sluice service reaches Temporal on the compose network and has the same SLUICE_PAYLOAD_KEYS', () => {
  for (const [name, s] of sluice) {
    assert.equal(s.environment?.TEMPORAL_ADDRESS, 'temporal:7233', `${name} TEMPORAL_ADDRESS`);
    assert.equal(s.environment?.SLUICE_PAYLOAD_KEYS, PAYLOAD_KEYS, `${name} has the exported SLUICE_PAYLOAD_KEYS`);
  }
});

test('the API and the central worker share the metadata database; the site worker needs none', () => {
  const url = services.api!.environment?.DATABASE_URL;
  assert.match(url ?? '', /^postgres:\/\/[^@]+@postgres:5432\/\w+$/);
  for (const [name, s] of sluice.filter(([, s]) => role(s) === 'worker' && !siteOf(s))) {
    assert.equal(s.environment?.DATABASE_URL, url, `${name} (central) has DATABASE_URL for incremental marks and concurrency slots`);
  }
  for (const [name, s] of sluice.filter(([, s]) => siteOf(s))) assert.equal(s.environment?.DATABASE_URL, undefined, `${name} (site) holds no central credentials`);
});

test("the example pipeline's secrets are in the environment of the workers that run its nodes, and its database is seeded", () => {
  const spec = YAML.parse(fs.readFileSync(path.join(root, 'examples', 'orders', 'pipeline.yaml'), 'utf8')) as { nodes: { id: string; site?: string; config: unknown }[] };
  const secretsOf = (v: unknown): string[] =>
    v && typeof v === 'object' ? ('$secret' in v ? [String((v as { $secret: string }).$secret)] : Object.values(v).flatMap(secretsOf)) : [];
  const workers = sluice.filter(([, s]) => role(s) === 'worker');
  let checked = 0;
  for (const node of spec.nodes) {
    const runners = workers.filter(([, s]) => siteOf(s) === node.site);
    assert.ok(runners.length > 0, `a worker runs node ${node.id} (site ${node.site ?? 'central'})`);
    for (const secret of secretsOf(node.config)) {
      for (const [name, s] of runners) {
        assert.match(s.environment?.[secret] ?? '', /^postgres:\/\/.+@postgres:5432\/sluice_example$/, `${name} has ${secret} for node ${node.id}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 4, 'the example names its secrets');
  // Moved to site acme, the same nodes find the same secrets there.
  const acme = workers.find(([, s]) => siteOf(s) === 'acme')![1];
  for (const secret of new Set(spec.nodes.flatMap((n) => secretsOf(n.config)))) assert.ok(acme.environment?.[secret], `worker-acme has ${secret}`);
  const mounts = mountsOf(services.postgres!);
  for (const m of mounts.filter((m) => m.type === 'bind')) assert.ok(fs.existsSync(m.source), `${m.source} exists`);
  assert.ok(mounts.some((m) => m.target.startsWith('/docker-entrypoint-initdb.d/')), 'Postgres seeds the example database on its first start');
});

test("Temporal uses the cluster's dynamic config file", () => {
  const t = services.temporal!;
  const mount = mountsOf(t).find((m) => m.target.includes('dynamicconfig'));
  assert.ok(mount && fs.existsSync(mount.source), 'the dynamic config file is mounted');
  assert.equal(path.relative(root, mount.source), path.join('temporal', 'cluster', 'config', 'dynamicconfig.yaml'));
  assert.equal(`/etc/temporal/${t.environment?.DYNAMIC_CONFIG_FILE_PATH}`, mount.target);
});
