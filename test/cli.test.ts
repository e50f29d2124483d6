// The `sluice` command as a user runs it: `validate` on files, and `worker` as a real process
// that is stopped with SIGTERM in the middle of a load and replaced by another worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { spec, startRun } from './helpers/pipelines.js';
import { startWorker } from './helpers/worker.js';
import type { RunProgress } from '../src/workflows/messages.js';

const SLUICE = path.join(import.meta.dirname, '..', 'bin', 'sluice.js');

describe('sluice validate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-validate-'));

  test('prints ok for a valid file and exits 0', () => {
    const res = spawnSync(process.execPath, [SLUICE, 'validate', 'examples/orders/pipeline.yaml'], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /examples\/orders\/pipeline\.yaml: ok \(orders-demo, 6 nodes\)/);
  });

  test('prints every error with its path and exits 1', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      file,
      ['name: Bad_Name', 'nodes:', '  - id: a', '    type: postgres.reed', '  - id: b', '    type: control.sleep', '    needs: [a, zz]', '    config: { ms: -5 }'].join('\n'),
    );
    const res = spawnSync(process.execPath, [SLUICE, 'validate', file], { encoding: 'utf8' });
    assert.equal(res.status, 1);
    const lines = res.stdout.trim().split('\n');
    assert.ok(lines.some((l) => l.includes(': name: ')), res.stdout);
    assert.ok(lines.some((l) => l.includes('nodes[0].type: unknown node type "postgres.reed"')), res.stdout);
    assert.ok(lines.some((l) => l.includes('nodes[1].needs[1]: unknown node "zz"')), res.stdout);
    assert.ok(lines.some((l) => l.includes('nodes[1].config.ms:')), res.stdout);
  });

  test('reports a YAML syntax error with its line and a missing file, exiting 1', () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'name: x\nnodes: [\n');
    const res = spawnSync(process.execPath, [SLUICE, 'validate', file, path.join(dir, 'missing.yaml')], { encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stdout, /broken\.yaml: .*\d+:\d+/);
    assert.match(res.stdout, /missing\.yaml: cannot read/);
  });
});

describe('sluice worker', () => {
  let env: TemporalTestEnv;
  let db: TestDatabase;
  let proc: ChildProcess | null = null;
  const taskQueue = uniqueName('cliworker');

  before(async () => {
    env = await temporalEnv();
    db = await createTestDatabase();
    await db.pool.query(`CREATE TABLE src AS SELECT g::bigint AS id, md5(g::text) AS h FROM generate_series(1, 60000) g`);
  });
  after(async () => {
    proc?.kill('SIGKILL');
    await env?.close();
    await db?.drop();
  });

  test('SIGTERM mid-load stops at a batch boundary, and the next worker continues from the checkpoint', async () => {
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-'));
    let logs = '';
    proc = spawn(process.execPath, [SLUICE, 'worker'], {
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, SLUICE_TASK_QUEUE: taskQueue, SLUICE_STAGING_DIR: staging, CLI_DB: db.url, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    await waitFor(async () => logs.includes('worker polling'), 'the worker process to start polling', 60_000);

    const s = spec({
      name: uniqueName('sigterm'),
      nodes: [
        { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'CLI_DB' }, query: 'select id, h from src order by id', batchSize: 500 } },
        { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'CLI_DB' }, table: 'dst', mode: 'upsert', key: ['id'] } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, s);
    const batches = async () => {
      const r = await db.pool.query(`select count(*)::int as n from pg_tables where schemaname = 'sluice' and tablename = 'load_ledger'`);
      if (r.rows[0].n === 0) return 0;
      return (await db.pool.query(`select count(*)::int as n from sluice.load_ledger where run_id = $1`, [handle.workflowId])).rows[0].n as number;
    };
    await waitFor(async () => (await batches()) >= 2, 'the load to commit a few batches', 60_000);

    const exited = new Promise<number | null>((resolve) => proc!.on('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    const code = await exited;
    proc = null;
    assert.equal(code, 0, `the worker exits cleanly:\n${logs.slice(-3000)}`);
    assert.match(logs, /node stopped at a checkpoint/);
    const atStop = await batches();
    assert.ok(atStop < 120, `stopped mid-load (${atStop} of 120 batches)`);

    // The datasets of this run live in the first worker's staging dir; the replacement shares it,
    // as a restarted worker on the same host would.
    const replacement = await startWorker(env.address, { namespace: env.namespace, taskQueue, stagingDir: staging, env: { ...process.env, CLI_DB: db.url } });
    try {
      const result = (await handle.result()) as RunProgress;
      assert.equal(result.status, 'completed');
      assert.equal(result.nodes.load!.outputs!.rows, 60_000);
      assert.equal(result.nodes.load!.outputs!.skippedBatches, 0, 'resumed from the checkpoint, not by re-reading committed batches');
      const dst = await db.pool.query(`select count(*)::int as n, count(distinct id)::int as d from dst`);
      assert.deepEqual(dst.rows[0], { n: 60_000, d: 60_000 });
    } finally {
      await replacement.stop();
    }
  });
});
