// The metadata store on a real PostgreSQL and on the embedded PGlite server: migrations,
// versions, idempotent re-POSTs and racing writers, statement timeouts and lost connections.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createStore } from '../src/store/store.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/store/embedded.js';
import type { Store } from '../src/store/types.js';
import type { PipelineSpec } from '../src/dag/spec.js';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from './helpers/env.js';

let db: TestDatabase;
let store: Store;

function specOf(name: string, ms = 10, description?: string): PipelineSpec {
  return {
    name,
    ...(description ? { description } : {}),
    maxParallel: 4,
    nodes: [{ id: 'wait', type: 'control.sleep', needs: [], config: { ms } }],
  };
}

before(async () => {
  db = await createTestDatabase();
  store = await createStore(db.url);
});

after(async () => {
  await store?.close();
  await db?.drop();
});

test('start-up migrations create the sluice schema and record themselves, and re-running them is a no-op', async () => {
  const tables = await db.pool.query(`select table_name from information_schema.tables where table_schema = 'sluice' order by 1`);
  assert.deepEqual(tables.rows.map((r) => r.table_name), ['api_keys', 'audit_log', 'idempotency', 'log_sources', 'node_state', 'pgmigrations', 'pipeline_versions', 'pipelines', 'run_logs', 'run_slots', 'runs']);
  const applied = await db.pool.query(`select name from sluice.pgmigrations`);
  assert.equal(applied.rows.length, fs.readdirSync(new URL('../migrations', import.meta.url)).length);
  // Two more processes starting at once: both wait on the migration lock, neither fails or re-applies.
  const [a, b] = await Promise.all([createStore(db.url), createStore(db.url)]);
  await Promise.all([a.close(), b.close()]);
  const again = await db.pool.query(`select name from sluice.pgmigrations`);
  assert.equal(again.rows.length, applied.rows.length);
  const searchPath = await db.pool.query('show search_path');
  assert.doesNotMatch(searchPath.rows[0].search_path, /sluice/, 'the migration search_path does not leak into pooled connections');
});

test('a changed spec adds the next version; an identical one returns the latest with created: false', async () => {
  const name = uniqueName('store');
  const v1 = await store.putPipeline(specOf(name, 10));
  assert.equal(v1.version, 1);
  assert.equal(v1.created, true);
  const again = await store.putPipeline(specOf(name, 10));
  assert.equal(again.version, 1);
  assert.equal(again.created, false);
  assert.equal(again.createdAt.getTime(), v1.createdAt.getTime());

  const v2 = await store.putPipeline(specOf(name, 20, 'slower'));
  assert.equal(v2.version, 2);
  assert.equal(v2.created, true);

  // Re-posting an older spec is a change relative to the latest, so it becomes version 3.
  const v3 = await store.putPipeline(specOf(name, 10));
  assert.equal(v3.version, 3);

  const latest = await store.getPipeline(name);
  assert.equal(latest?.version, 3);
  assert.deepEqual(latest?.versions, [1, 2, 3]);
  assert.deepEqual((await store.getPipeline(name, 2))?.spec, specOf(name, 20, 'slower'));
  assert.equal(await store.getPipeline(name, 4), null);
  assert.equal(await store.getPipeline(uniqueName('missing')), null);

  const listed = (await store.listPipelines()).find((p) => p.name === name);
  assert.equal(listed?.latestVersion, 3);
  assert.equal(listed?.description, null, 'description follows the latest version');
});

test('key order does not make an identical spec look changed', async () => {
  const name = uniqueName('order');
  await store.putPipeline(specOf(name));
  const reordered = { nodes: specOf(name).nodes.map((n) => ({ config: n.config, id: n.id, needs: n.needs, type: n.type })), maxParallel: 4, name } as PipelineSpec;
  const again = await store.putPipeline(reordered);
  assert.equal(again.created, false);
});

test('racing writers of one pipeline get distinct consecutive versions, and racing identical writes make one version', async () => {
  const name = uniqueName('race');
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.putPipeline(specOf(name, 100 + i))));
  assert.deepEqual(results.map((r) => r.version).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
  const rows = await db.pool.query(`select count(*)::int as n from sluice.pipeline_versions where name = $1`, [name]);
  assert.equal(rows.rows[0].n, 12);

  // Separate stores (as separate API processes would be) racing the same new spec.
  const other = await createStore(db.url);
  try {
    const same = specOf(uniqueName('race-same'));
    const outcomes = await Promise.all([store, other, store, other].map((s) => s.putPipeline(same)));
    assert.deepEqual(outcomes.map((o) => o.version), [1, 1, 1, 1]);
    assert.equal(outcomes.filter((o) => o.created).length, 1);
  } finally {
    await other.close();
  }
});

test('the embedded PGlite server runs the same migrations and store code over the wire protocol', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pglite-'));
  let pg: EmbeddedPostgres | undefined;
  let embedded: Store | undefined;
  try {
    pg = await startEmbeddedPostgres(dir);
    assert.match(pg.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\//);
    embedded = await createStore(pg.url, { maxConnections: pg.maxConnections });
    const name = uniqueName('embedded');
    // Concurrent calls queue on the single connection instead of failing.
    const [a, b] = await Promise.all([embedded.putPipeline(specOf(name, 1)), embedded.putPipeline(specOf(name, 2))]);
    assert.deepEqual([a.version, b.version].sort(), [1, 2]);
    const latest = a.version === 2 ? a : b;
    assert.equal((await embedded.putPipeline(latest.spec)).created, false);
    assert.deepEqual((await embedded.getPipeline(name))?.versions, [1, 2]);
    await embedded.close();
    embedded = undefined;
    await pg.stop();

    // Data survives a restart of the embedded server on the same directory, and migrations do not re-run.
    pg = await startEmbeddedPostgres(dir);
    embedded = await createStore(pg.url, { maxConnections: 1 });
    assert.deepEqual((await embedded.listPipelines()).map((p) => [p.name, p.latestVersion]), [[name, 2]]);
  } finally {
    await embedded?.close();
    await pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a metadata statement that waits past the statement timeout fails, and the store goes on working', async () => {
  const timed = await createStore(db.url, { timeouts: { statementTimeoutMs: 500 } });
  const name = uniqueName('locked');
  await timed.putPipeline(specOf(name));
  const holder = await db.pool.connect();
  try {
    // Another writer holds the pipeline's row: the next version's write waits for it.
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM sluice.pipelines WHERE name = $1 FOR UPDATE', [name]);
    const t0 = Date.now();
    await assert.rejects(timed.putPipeline(specOf(name, 20)), /statement timeout/);
    assert.ok(Date.now() - t0 < 30_000, 'it failed at the timeout, not after the lock was released');
    await holder.query('ROLLBACK');
    assert.equal((await timed.putPipeline(specOf(name, 20))).version, 2, 'the next write goes through');
  } finally {
    holder.release();
    await timed.close();
  }
});

test('metadata connections terminated by the server are logged, not fatal, and the next call reconnects', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const own = await createStore(db.url, { logger });
  try {
    await Promise.all([own.listPipelines(), own.listPipelines(), own.listPipelines()]);
    // Every idle connection of the store's pool is cut from the server side.
    const killed = await db.pool.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'idle' AND application_name = ''`,
      [db.name],
    );
    assert.ok(killed.rows[0].n >= 1, 'some of the store\'s connections were terminated');
    await waitFor(async () => lines.some((l) => l.includes('metadata database connection lost')), 'the loss to be logged', 10_000);
    // A pooled connection whose end the pool has not heard of yet may fail one call; then it is gone.
    await waitFor(async () => Array.isArray(await own.listPipelines()), 'the store to answer again', 10_000);
  } finally {
    await own.close();
  }
});
