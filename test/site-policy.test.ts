// A site worker obeys its owner's policy file whatever the workflow input asks, against a real
// Temporal server and a real PostgreSQL: each escape the central plane could try (the worker's own
// configuration as a secret, a file outside the roots, a symlink out of a root, a host or redirect
// the policy does not allow, a second SQL statement, a node type outside the policy) fails at once
// with the policy's error, and the secret, the file or the reply appears nowhere in history.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadPolicy, PolicyFileError } from '../src/worker/policy.js';
import { nodeChecker } from '../src/activities/check.js';
import { connectors } from '../connectors/index.js';
import { createLogger } from '../src/log.js';
import { validatePipeline } from '../src/dag/validate.js';
import { catalog } from '../src/catalog.js';
import type { RunProgress } from '../src/workflows/messages.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { progressOf, spec, startRun } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';

const SECRET_TOKEN = 'tok-5ecret-7a1c';
const OWN_CONFIG = 'postgres://own:own-password-9@own-db/own';
const FILE_SECRET = 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-do-not-leak';
const OTHER_REPLY = 'reply-of-a-host-the-site-never-allowed';

let env: TemporalTestEnv;
let db: TestDatabase;
let central: RunningWorker;
let siteWorker: RunningWorker;
let allowed: http.Server;
let other: http.Server;
const otherHits: string[] = [];
const taskQueue = uniqueName('policy');
const site = uniqueName('acme');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-policy-'));

async function listen(handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const portOf = (s: http.Server) => (s.address() as AddressInfo).port;

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  await db.pool.query(`CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 50) g`);
  other = await listen((req, res) => {
    otherHits.push(`${req.url} auth=${req.headers.authorization ?? ''}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify([{ note: OTHER_REPLY }]));
  });
  allowed = await listen((req, res) => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${portOf(other)}/stolen` }).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify([{ id: 1 }]));
  });

  fs.mkdirSync(path.join(root, 'in'));
  fs.mkdirSync(path.join(root, 'out'));
  fs.writeFileSync(path.join(root, 'in', 'ok.csv'), 'id\n1\n2\n');
  fs.writeFileSync(path.join(root, 'credentials.csv'), `line\n${FILE_SECRET}\n`);
  fs.symlinkSync(path.join(root, 'credentials.csv'), path.join(root, 'in', 'escape.csv'));
  const policyFile = path.join(root, 'policy.yaml');
  fs.writeFileSync(
    policyFile,
    [
      'secrets: [SP_DB, "SP_TOKEN*"]',
      'files:',
      '  read: [./in]',
      '  write: [./out]',
      'egress:',
      `  - "127.0.0.1:${portOf(allowed)}"`,
      `  - "127.0.0.1:${new URL(db.url).port || 5432}"`,
      'nodeTypes: ["postgres.*", "csv.*", "http.*"]',
    ].join('\n'),
  );
  const policy = loadPolicy({ file: policyFile, site, dataDir: path.join(root, 'data'), stagingDir: path.join(root, 'staging') });
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue });
  siteWorker = await startWorker(env.address, {
    namespace: env.namespace,
    taskQueue,
    site,
    policy,
    stagingDir: path.join(root, 'staging'),
    env: { ...process.env, SP_DB: db.url, SP_TOKEN: `Bearer ${SECRET_TOKEN}`, DATABASE_URL: OWN_CONFIG },
  });
});

after(async () => {
  await siteWorker?.stop();
  await central?.stop();
  await new Promise((r) => allowed?.close(r));
  await new Promise((r) => other?.close(r));
  await db?.drop();
  await env?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs one site node; returns the run's result and its whole history as text. */
async function runNode(node: Record<string, unknown>): Promise<{ result: RunProgress; history: string }> {
  const s = spec({ name: uniqueName('escape'), nodes: [{ id: 'n', site, ...node }] });
  const handle = await startRun(env.client, taskQueue, s);
  // A failed run rejects result(); its progress (still answered once closed) says why.
  await handle.result().catch(() => undefined);
  const result = await progressOf(handle);
  const history = JSON.stringify(await handle.fetchHistory());
  return { result, history };
}

function assertRefused(run: { result: RunProgress; history: string }, rule: string, configPath: string): void {
  assert.equal(run.result.status, 'failed', JSON.stringify(run.result));
  assert.equal(run.result.nodes.n!.error, `forbidden by the policy of site ${site}: ${rule} (${configPath})`);
  assert.equal(run.result.nodes.n!.attempt, 1, 'a policy violation is not retried');
  for (const leak of [SECRET_TOKEN, OWN_CONFIG, 'own-password-9', FILE_SECRET, OTHER_REPLY]) assert.ok(!run.history.includes(leak), `history holds ${leak}`);
}

describe('a site worker obeys its policy file', () => {
  test('$secret may not name the worker\'s own configuration, nor a name outside the list', async () => {
    const own = await runNode({ type: 'postgres.read', config: { connection: { $secret: 'DATABASE_URL' }, query: 'select 1 as x' } });
    assertRefused(own, "secret DATABASE_URL is part of the worker's own configuration", 'config.connection');
    const unlisted = await runNode({ type: 'postgres.read', config: { connection: { $secret: 'HOSTILE_PICK' }, query: 'select 1 as x' } });
    assertRefused(unlisted, 'secret HOSTILE_PICK is not in its secrets list', 'config.connection');
  });

  test('files outside the read roots, or reached through a symlink out of a root, are refused without being read', async () => {
    assertRefused(await runNode({ type: 'csv.read', config: { path: path.join(root, 'credentials.csv') } }), 'files.read does not include this path', 'config.path');
    assertRefused(await runNode({ type: 'csv.read', config: { path: path.join(root, 'in', 'escape.csv') } }), 'files.read does not include this path', 'config.path');
    assertRefused(await runNode({ type: 'csv.read', config: { path: '/proc/self/environ' } }), 'files.read does not include this path', 'config.path');
    const inside = await runNode({ type: 'csv.read', config: { path: path.join(root, 'in', 'ok.csv') } });
    assert.equal(inside.result.status, 'completed', JSON.stringify(inside.result));
    assert.equal(inside.result.nodes.n!.outputs!.rows, 2);
  });

  test('a host the policy does not list, a redirect to one, and cloud metadata are refused; credentials never leave', async () => {
    const direct = await runNode({ type: 'http.read', config: { url: `http://127.0.0.1:${portOf(other)}/data`, headers: { Authorization: { $secret: 'SP_TOKEN' } } } });
    assertRefused(direct, 'egress does not allow this host', 'config.url');
    const redirected = await runNode({ type: 'http.read', config: { url: `http://127.0.0.1:${portOf(allowed)}/redirect`, headers: { Authorization: { $secret: 'SP_TOKEN' } } } });
    assertRefused(redirected, 'egress does not allow this host', 'config.url');
    const metadata = await runNode({ type: 'http.read', config: { url: 'http://169.254.169.254/latest/meta-data/' } });
    assertRefused(metadata, 'link-local and cloud metadata addresses are never reachable', 'config.url');
    assert.deepEqual(otherHits, [], 'the unlisted host was never contacted');
    const fine = await runNode({ type: 'http.read', config: { url: `http://127.0.0.1:${portOf(allowed)}/items`, headers: { Authorization: { $secret: 'SP_TOKEN' } } } });
    assert.equal(fine.result.status, 'completed', JSON.stringify(fine.result));
  });

  test('a node type outside the policy is refused before its config is read', async () => {
    const run = await runNode({ type: 'control.sleep', config: { ms: 10 } });
    assertRefused(run, 'node type control.sleep is not in its nodeTypes list', 'type');
  });

  test('a query smuggling a second statement runs nothing, and a read cannot write', async () => {
    for (const query of ['select id from t; delete from t', 'select id from t) AS s; delete from t; select * from (select 1', 'with d as (delete from t returning id) select id from d']) {
      const run = await runNode({ type: 'postgres.read', config: { connection: { $secret: 'SP_DB' }, query } });
      assert.equal(run.result.status, 'failed', `${query}: ${JSON.stringify(run.result)}`);
      assert.match(run.result.nodes.n!.error ?? '', /^config\.query: /);
    }
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM t')).rows[0].n, 50, 'no row was deleted');
  });
});

test('a template inside SQL or an expression, and a $secret outside a credential field, are refused when the pipeline is registered', () => {
  const result = validatePipeline(
    {
      name: 'hostile',
      params: { table: { type: 'string' } },
      nodes: [
        { id: 'a', type: 'postgres.read', config: { connection: { $secret: 'DB' }, query: 'select * from {{ params.table }}' } },
        { id: 'b', type: 'transform.filter', needs: ['a'], config: { where: 'id > {{ params.table }}' } },
        { id: 'c', type: 'csv.write', needs: ['b'], config: { path: { $secret: 'AWS_SECRET_ACCESS_KEY' } } },
      ],
    },
    catalog,
  );
  assert.equal(result.ok, false);
  const paths = result.ok ? [] : result.errors.map((e) => e.path);
  assert.deepEqual(paths, ['nodes[0].config.query', 'nodes[1].config.where', 'nodes[2].config.path']);
});

test('sluice check obeys the same policy and reports each node\'s violation', async () => {
  const policy = loadPolicy({ file: path.join(root, 'policy.yaml'), site, dataDir: path.join(root, 'data'), stagingDir: path.join(root, 'staging') });
  const check = nodeChecker({ connectors, env: { ...process.env, DATABASE_URL: OWN_CONFIG }, logger: createLogger('silent'), policy });
  const task = (type: string, config: Record<string, unknown>) => ({ pipeline: 'p', nodeId: 'n', type, site, config, timeoutMs: 5000 });
  const run = { runId: 'policy-check', attempt: 1 };
  const prefix = `forbidden by the policy of site ${site}: `;
  assert.deepEqual(await check(task('control.sleep', { ms: 1 }), run), { ok: false, error: `${prefix}node type control.sleep is not in its nodeTypes list (type)` });
  assert.deepEqual(await check(task('postgres.read', { connection: { $secret: 'DATABASE_URL' }, query: 'select 1' }), run), {
    ok: false,
    error: `${prefix}secret DATABASE_URL is part of the worker's own configuration (config.connection)`,
  });
  assert.deepEqual(await check(task('csv.read', { path: path.join(root, 'credentials.csv') }), run), { ok: false, error: `${prefix}files.read does not include this path (config.path)` });
});

test('a bad policy file stops the worker with the path of the error', () => {
  const file = path.join(root, 'bad-policy.yaml');
  fs.writeFileSync(file, 'secrets: ["lower-case"]\negress: ["10.0.0.0/99", "ok.example:99999"]\nfiles: { read: [1] }\nnodeTypes: "postgres.*"\nextra: 1\n');
  assert.throws(
    () => loadPolicy({ file, dataDir: 'data', stagingDir: 'staging' }),
    (err: Error) => {
      assert.ok(err instanceof PolicyFileError);
      for (const p of ['secrets[0]:', 'egress[0]:', 'egress[1]:', 'files.read[0]:', 'nodeTypes:', '(root): Unrecognized key: "extra"']) assert.ok(err.message.includes(p), `${p} in ${err.message}`);
      return true;
    },
  );
  assert.throws(() => loadPolicy({ file: path.join(root, 'missing.yaml'), dataDir: 'data', stagingDir: 'staging' }), /policy file .*missing\.yaml: ENOENT/);
});
