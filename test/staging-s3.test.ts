// Datasets in the S3 staging store (a real S3-compatible server), shared by workers on several
// hosts; retention of both stores; and a site's local store staying private to that site.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { StagingStore } from '../src/activities/staging.js';
import { type ColumnSchema, type DatasetRef } from '../src/kit/dataset.js';
import { S3Backend } from '../src/activities/staging/s3.js';
import { sweepStaging } from '../src/activities/staging/retention.js';
import type { RunProgress } from '../src/workflows/messages.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { progressOf, spec, startRun } from './helpers/pipelines.js';
import { startS3, type TestS3 } from './helpers/s3.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';

const DAY = 86_400_000;
const ROWS = 1200;
let env: TemporalTestEnv;
let db: TestDatabase;
let s3: TestS3;
let bucket: string;
let stagingUrl: string;
const prefix = 'staging/dev';
const taskQueue = uniqueName('s3stage');
const east = uniqueName('east');
const west = uniqueName('west');
const workers: RunningWorker[] = [];
let central: RunningWorker;
let eastWorker: RunningWorker;
let westWorker: RunningWorker;
// A second deployment where every worker, central included, stages on its own disk.
const localQueue = uniqueName('localstage');
let localCentral: RunningWorker;
let localWest: RunningWorker;

before(async () => {
  env = await temporalEnv();
  db = await createTestDatabase();
  s3 = await startS3();
  bucket = await s3.bucket(uniqueName('stage'));
  stagingUrl = `s3://${bucket}/${prefix}`;
  await db.pool.query(`CREATE TABLE src_events AS SELECT
      (9007199254740000 + g)::bigint AS id,
      CASE WHEN g % 7 = 0 THEN NULL ELSE 'event ' || g END AS label,
      (g::numeric * 1000000000000 + 0.000000001)::numeric AS amount,
      timestamptz '2024-03-01 00:00:00+00' + g * interval '1.000001 second' AS at,
      CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('g', g, 'odd', g % 2 = 1) END AS meta,
      g % 3 = 0 AS flag
    FROM generate_series(1, ${ROWS}) g`);
  const secrets = { ...process.env, STAGE_DB: db.url };
  // Central and the east site share the S3 store (different hosts: different local dirs);
  // the west site stages on its own disk.
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: { ...secrets, ...s3.stagingEnv(stagingUrl) } });
  eastWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site: east, env: { ...secrets, ...s3.stagingEnv(stagingUrl) } });
  westWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site: west, env: secrets });
  localCentral = await startWorker(env.address, { namespace: env.namespace, taskQueue: localQueue, env: secrets });
  localWest = await startWorker(env.address, { namespace: env.namespace, taskQueue: localQueue, site: west, env: secrets });
  workers.push(central, eastWorker, westWorker, localCentral, localWest);
});

after(async () => {
  for (const w of workers) await w.stop();
  await s3?.stop();
  await env?.close();
  await db?.drop();
});

const COLUMNS = `id, label, amount::text AS amount, at, meta::text AS meta, flag`;

async function assertCopied(table: string): Promise<void> {
  const src = await db.pool.query(`SELECT ${COLUMNS} FROM src_events ORDER BY id`);
  const dst = await db.pool.query(`SELECT ${COLUMNS} FROM ${table} ORDER BY id`);
  assert.equal(dst.rows.length, ROWS);
  assert.deepEqual(dst.rows, src.rows);
}

test('with SLUICE_STAGING_URL=s3://..., postgres.read -> transform.map -> postgres.write stages its parts as objects under <prefix>/<run>/<node>/ and loads exactly', async () => {
  const s = spec({
    name: uniqueName('s3-staged'),
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'STAGE_DB' }, query: 'select * from src_events order by id', batchSize: 500 } },
      // Changes no value: the store copies the parts server-side.
      { id: 'clean', type: 'transform.map', needs: ['extract'], config: { cast: { label: 'string' } } },
      { id: 'load', type: 'postgres.write', needs: ['clean'], config: { connection: { $secret: 'STAGE_DB' }, table: 'copied_events' } },
    ],
  });
  const handle = await startRun(env.client, taskQueue, s);
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const runId = handle.workflowId;
  const ref = result.nodes.extract!.outputs!.dataset as DatasetRef;
  assert.equal(ref.uri, `s3://${bucket}/${prefix}/${runId}/extract/`);
  assert.deepEqual({ rows: ref.rows, parts: ref.parts }, { rows: ROWS, parts: 3 });
  const files = ['_dataset.json', 'part-000000.pgcopy', 'part-000001.pgcopy', 'part-000002.pgcopy'];
  assert.deepEqual(await s3.keys(bucket, `${prefix}/${runId}/`), [...files.map((f) => `${prefix}/${runId}/clean/${f}`), ...files.map((f) => `${prefix}/${runId}/extract/${f}`)]);
  let bytes = 0;
  for (const i of [0, 1, 2]) {
    const part = `part-00000${i}.pgcopy`;
    bytes += (await s3.head(bucket, `${prefix}/${runId}/extract/${part}`)).ContentLength ?? 0;
    const stored = await s3.get(bucket, `${prefix}/${runId}/extract/${part}`);
    assert.deepEqual(await s3.get(bucket, `${prefix}/${runId}/clean/${part}`), stored, `${part} copied unchanged`);
    // COPY text goes to S3 gzipped: 500 rows of it per part.
    assert.equal(zlib.gunzipSync(stored).toString().split('\n').length - 1, i < 2 ? 500 : ROWS - 1000);
  }
  assert.equal(ref.bytes, bytes, 'the reference counts the bytes actually stored');
  assert.equal((result.nodes.clean!.outputs!.dataset as DatasetRef).bytes, bytes);
  assert.deepEqual(JSON.parse((await s3.get(bucket, `${prefix}/${runId}/extract/_dataset.json`)).toString()), ref);
  assert.deepEqual(fs.readdirSync(central.stagingDir), [], 'nothing was staged on local disk');
  await assertCopied('copied_events');
});

test('a dataset staged in S3 by a site worker is read by the central worker on another host', async () => {
  const s = spec({
    name: uniqueName('s3-shared'),
    nodes: [
      { id: 'extract', type: 'postgres.read', site: east, config: { connection: { $secret: 'STAGE_DB' }, query: 'select * from src_events order by id', batchSize: 400 } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'STAGE_DB' }, table: 'shared_events' } },
    ],
  });
  const handle = await startRun(env.client, taskQueue, s);
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.extract!.site, east);
  assert.equal((result.nodes.extract!.outputs!.dataset as DatasetRef).uri, `s3://${bucket}/${prefix}/${handle.workflowId}/extract/`);
  assert.deepEqual(fs.readdirSync(eastWorker.stagingDir), []);
  await assertCopied('shared_events');
});

test("a dataset produced on a site with its own local store stays there: the central worker cannot read it, and the error says so", async () => {
  const deployments = [
    { queue: taskQueue, site: westWorker, central, centralStore: `s3://${bucket}/${prefix}/` },
    { queue: localQueue, site: localWest, central: localCentral, centralStore: `${pathToFileURL(localCentral.stagingDir).href}/` },
  ];
  for (const d of deployments) {
    const s = spec({
      name: uniqueName('site-local'),
      defaults: { retry: { initialInterval: '100ms', maximumAttempts: 4 } },
      nodes: [
        { id: 'extract', type: 'postgres.read', site: west, config: { connection: { $secret: 'STAGE_DB' }, query: 'select * from src_events order by id', batchSize: 500 } },
        { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'STAGE_DB' }, table: 'never_loaded' } },
      ],
    });
    const handle = await startRun(env.client, d.queue, s);
    await assert.rejects(handle.result(), WorkflowFailedError);
    const p = await progressOf(handle);
    const ref = p.nodes.extract!.outputs!.dataset as DatasetRef;
    const dir = fileURLToPath(ref.uri);
    assert.ok(dir.startsWith(d.site.stagingDir), `the dataset ${dir} is in the west site's own store`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['_dataset.json', 'part-000000.pgcopy', 'part-000001.pgcopy', 'part-000002.pgcopy']);
    assert.deepEqual(await s3.keys(bucket, `${prefix}/${handle.workflowId}/`), [], 'nothing of it reached the shared store');
    assert.deepEqual(fs.readdirSync(d.central.stagingDir), [], "nothing of it reached the central worker's disk");
    assert.equal(p.nodes.load!.state, 'failed');
    assert.equal(p.nodes.load!.attempt, 1, 'not retried: no attempt on this worker could read it');
    assert.equal(
      p.nodes.load!.error,
      `dataset ${ref.uri} is in the local staging store of the worker that produced it, which the central worker cannot read (its store is ${d.centralStore}): ` +
        'a local store is private to its host and site, so run this node on the same site as its input, or give the workers a shared s3:// store (SLUICE_STAGING_URL)',
    );
  }
});

test('a worker whose own store is local reads s3:// datasets with its S3 settings, and writes only locally', async () => {
  const schema: ColumnSchema[] = [{ name: 'id', type: 'bigint' }];
  const shared = new StagingStore(new S3Backend(`s3://${bucket}/shared/`, s3.client));
  const loc = shared.datasetDir('run-x', 'extract');
  await shared.writePart(loc, 0, [{ id: '9223372036854775807' }], schema);
  const ref = await shared.seal(loc, { rows: 1, bytes: 1, parts: 1, schema });
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-local-'));
  const local = new StagingStore(localDir, { s3: { endpoint: s3.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } });
  assert.deepEqual(await local.readPart(ref, 0), [{ id: '9223372036854775807' }]);
  assert.ok(local.datasetDir('run-x', 'load').startsWith('file://'));
  const stranger = new StagingStore(localDir, { s3: { endpoint: s3.endpoint, credentials: { accessKeyId: 'NOT-ALLOWED', secretAccessKey: 'x' } } });
  await assert.rejects(stranger.readPart(ref, 0), /^ConfigError: reading s3:\/\/.*\/shared\/run-x\/extract\/part-000000\.avro: access denied by S3 \(InvalidAccessKeyId\): check SLUICE_S3_ACCESS_KEY_ID/);
  local.close();
  stranger.close();
  fs.rmSync(localDir, { recursive: true, force: true });
});

test('retention on the S3 store removes runs whose newest object is older than the retention, and keeps the rest and objects it did not write', async () => {
  const store = new StagingStore(new S3Backend(`s3://${bucket}/retention/`, s3.client));
  const schema: ColumnSchema[] = [{ name: 'id', type: 'int' }];
  const write = (run: string, node: string, part: number) => store.writePart(store.datasetDir(run, node), part, [{ id: part }], schema);
  await write('run-old', 'extract', 0);
  await write('run-old', 'load', 0);
  await write('run-writing', 'extract', 0);
  await write('run-fresh', 'extract', 0);
  // Something else shares the prefix: never the sweeper's to remove, however old.
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'retention/backups/dump.sql', Body: 'select 1' }));
  const tenDaysAgo = new Date(Date.now() - 10 * DAY);
  await s3.backdate(bucket, 'retention/backups', tenDaysAgo);
  await s3.backdate(bucket, 'retention/run-old', tenDaysAgo);
  await s3.backdate(bucket, 'retention/run-writing', tenDaysAgo);
  // Still being written: its newest part is fresh although its first is old.
  await write('run-writing', 'extract', 1);

  const result = await sweepStaging(store, 7 * DAY);
  assert.deepEqual(result, { removed: ['run-old'], kept: 2 });
  assert.deepEqual(await s3.keys(bucket, 'retention/'), [
    'retention/backups/dump.sql',
    'retention/run-fresh/extract/part-000000.avro',
    'retention/run-writing/extract/part-000000.avro',
    'retention/run-writing/extract/part-000001.avro',
  ]);
});

test('a worker sweeps its own store when it starts: expired runs go, fresh ones stay (S3 and local)', async () => {
  const schema: ColumnSchema[] = [{ name: 'id', type: 'int' }];
  const s3Prefix = `sweep-${uniqueName('w')}`;
  const s3Store = new StagingStore(new S3Backend(`s3://${bucket}/${s3Prefix}/`, s3.client));
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sweep-'));
  const localStore = new StagingStore(localDir);
  for (const store of [s3Store, localStore]) {
    for (const run of ['expired', 'recent']) await store.writePart(store.datasetDir(run, 'n'), 0, [{ id: 1 }], schema);
  }
  await s3.backdate(bucket, `${s3Prefix}/expired`, new Date(Date.now() - 3 * DAY));
  const old = new Date(Date.now() - 3 * DAY);
  for (const p of ['expired/n/part-000000.avro', 'expired/n', 'expired']) fs.utimesSync(path.join(localDir, p), old, old);

  const retention = { SLUICE_STAGING_RETENTION: '2d' };
  workers.push(await startWorker(env.address, { namespace: env.namespace, taskQueue: uniqueName('sweep'), env: { ...process.env, ...s3.stagingEnv(`s3://${bucket}/${s3Prefix}`), ...retention } }));
  workers.push(await startWorker(env.address, { namespace: env.namespace, taskQueue: uniqueName('sweep'), site: uniqueName('local'), stagingDir: localDir, env: { ...process.env, ...retention } }));
  await waitFor(async () => (await s3.keys(bucket, `${s3Prefix}/`)).every((k) => !k.includes('/expired/')), 'the S3 sweep', 10_000);
  await waitFor(async () => !fs.existsSync(path.join(localDir, 'expired')), 'the local sweep', 10_000);
  assert.deepEqual(await s3.keys(bucket, `${s3Prefix}/`), [`${s3Prefix}/recent/n/part-000000.avro`]);
  assert.deepEqual(fs.readdirSync(localDir), ['recent']);
  fs.rmSync(localDir, { recursive: true, force: true });
});
