// Pausing csv.read / jsonl.read mid-file on a real Temporal server and resuming them: the read goes
// on from its cursor (a seek in a plain file; decompress-and-skip in a gzip file), so every line is
// staged exactly once and PostgreSQL ends up with exactly the file's rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { progressOf, spec, startRun } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { StagingStore } from '../src/activities/staging.js';
import { type DatasetRef, type Row } from '../src/kit/dataset.js';
import type { RunProgress } from '../src/workflows/messages.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let worker: RunningWorker;
let dir: string;
const taskQueue = uniqueName('files-pause');

before(async () => {
  env = await temporalEnv();
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-files-pause-'));
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: { ...process.env, PAUSE_FILES_DB: db.url } });
});

after(async () => {
  await worker?.stop();
  await env?.close();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const BATCH = 500;
/** Fields of line i of the input. */
const label = (i: number) => (i % 10 === 0 ? `with, comma "and quotes" ${i}` : `row ${i} ✓`);
const amount = (i: number) => `${i}.${String(i % 100).padStart(2, '0')}`;

/** Every row of the dataset `ref`, in part order, as the staging store holds it. */
async function stagedRows(ref: DatasetRef): Promise<Row[]> {
  const store = new StagingStore(worker.stagingDir);
  const rows: Row[] = [];
  for (let part = 0; part < ref.parts; part++) rows.push(...(await store.readPart(ref, part)));
  return rows;
}

/** Starts `s`, pauses it once its read has staged some batches, checks it stays put, resumes it. */
async function pauseMidReadAndResume(s: ReturnType<typeof spec>, rows: number): Promise<RunProgress> {
  const handle = await startRun(env.client, taskQueue, s);
  // Progress shows a running node's counts only once it stops; its staged parts show them now.
  const staged = () => {
    const out = path.join(worker.stagingDir, handle.workflowId, 'extract');
    return fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f.startsWith('part-')).length : 0;
  };
  await waitFor(async () => staged() >= 10, 'the read to stage its first batches', 60_000);
  await handle.signal('pause');
  const paused = await waitFor(async () => {
    const p = await progressOf(handle);
    // The run reports paused at once; the node, once it has stopped at a batch boundary.
    return p.status === 'paused' && p.nodes.extract!.state !== 'running' ? p : null;
  }, 'the read to stop');
  assert.equal(paused.nodes.extract!.state, 'paused', 'the read was paused before it finished');
  const atPause = paused.nodes.extract!.stats.rowsOut;
  assert.ok(atPause > 0 && atPause < rows, `paused mid-read (${atPause} of ${rows} lines staged)`);
  assert.equal(atPause % BATCH, 0, 'stopped at a batch boundary');
  assert.equal(staged(), atPause / BATCH, 'the checkpoint counts exactly the parts staged');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(staged(), atPause / BATCH, 'nothing is read while paused');
  assert.equal((await progressOf(handle)).nodes.extract!.stats.rowsOut, atPause);

  await handle.signal('resume');
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const dataset = result.nodes.extract!.outputs!.dataset as DatasetRef;
  assert.deepEqual({ rows: dataset.rows, parts: dataset.parts }, { rows, parts: rows / BATCH }, 'every batch staged once, none twice');
  const all = await stagedRows(dataset);
  assert.equal(all.length, rows);
  const wrong = all.filter((r, i) => r.id !== i + 1 || r.label !== label(i + 1) || r.amount !== amount(i + 1));
  assert.deepEqual(wrong.slice(0, 3), [], 'row i of the dataset is line i of the file');
  return result;
}

test('pausing csv.read mid-way through a 200k-line file and resuming stages every line exactly once', async () => {
  const rows = 200_000;
  const file = path.join(dir, 'big.csv');
  const out = fs.createWriteStream(file);
  out.write('id,label,amount\n');
  for (let i = 1; i <= rows; i++) out.write(`${i},"${label(i).replace(/"/g, '""')}",${amount(i)}\n`);
  await new Promise((r) => out.end(r));
  await pauseMidReadAndResume(
    spec({
      name: uniqueName('csv-pause'),
      nodes: [{ id: 'extract', type: 'csv.read', config: { path: file, batchSize: BATCH, types: { id: 'int', amount: 'numeric' } } }],
    }),
    rows,
  );
});

test('pausing jsonl.read mid-way through a gzip file and resuming (decompress and skip) loads every line exactly once', async () => {
  const rows = 100_000;
  const lines: string[] = [];
  for (let i = 1; i <= rows; i++) lines.push(JSON.stringify({ id: i, label: label(i), amount: amount(i) }));
  const file = path.join(dir, 'big.jsonl.gz');
  fs.writeFileSync(file, zlib.gzipSync(lines.join('\n') + '\n'));
  const result = await pauseMidReadAndResume(
    spec({
      name: uniqueName('jsonl-pause'),
      nodes: [
        { id: 'extract', type: 'jsonl.read', config: { path: file, batchSize: BATCH, types: { id: 'int', amount: 'numeric' } } },
        { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'PAUSE_FILES_DB' }, table: 'jsonl_big' } },
      ],
    }),
    rows,
  );
  assert.equal(result.nodes.load!.outputs!.rows, rows);
  const { rows: check } = await db.pool.query(
    `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id)::int AS lo, max(id)::int AS hi, sum(amount)::text AS total FROM jsonl_big`,
  );
  const total = lines.reduce((sum, _, i) => sum + BigInt(amount(i + 1).replace('.', '')), 0n);
  assert.deepEqual(check[0], { n: rows, d: rows, lo: 1, hi: rows, total: `${total / 100n}.${String(total % 100n).padStart(2, '0')}` });
});
