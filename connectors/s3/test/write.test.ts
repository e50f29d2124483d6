// The s3.write sink against a real S3-compatible server (s3rver), fed by postgres.read on a real
// Temporal server and PostgreSQL: object contents, the manifest, multipart uploads, idempotent
// retries and resumes, and clear errors for bad config.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { WorkflowFailedError } from '@temporalio/client';
import type { SinkNodeType, SinkWriter } from '../../../src/kit/contract.js';
import { ConfigError } from '../../../src/kit/errors.js';
import type { ColumnSchema, Row } from '../../../src/kit/dataset.js';
import { validatePipeline } from '../../../src/dag/validate.js';
import { createLogger } from '../../../src/log.js';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { s3 as s3Connector } from '../index.js';
import { s3WriteConfig } from '../schema.js';
import type { S3Manifest } from '../manifest.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, waitFor, type TestDatabase } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun, testCatalog } from '../../../test/helpers/pipelines.js';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3, type TestS3 } from '../../../test/helpers/s3.js';
import { testAccess } from '../../../test/helpers/access.js';

let env: ConnectorTestEnv;
let s3: TestS3;
let bucket: string;
const ROWS = 250;
const CREDENTIALS = { accessKeyId: { $secret: 'S3W_KEY' }, secretAccessKey: { $secret: 'S3W_SECRET' } };
const QUERY = 'select id, name, amount, created_at, meta, flag, n from src_orders order by id';

async function seed(db: TestDatabase): Promise<void> {
  await db.pool.query(`CREATE TABLE src_orders AS SELECT g::bigint AS id,
      CASE WHEN g % 10 = 0 THEN NULL WHEN g % 10 = 1 THEN '' WHEN g % 10 = 5 THEN E'two\\nlines, "quoted"' ELSE 'name ' || g END AS name,
      (g * 1.25)::numeric(12,2) AS amount,
      timestamptz '2024-01-01 00:00:00.000001+00' + g * interval '1.000001 second' AS created_at,
      jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g % 3)) AS meta,
      g % 2 = 0 AS flag, (g % 1000)::int AS n
    FROM generate_series(1, ${ROWS}) g`);
}

before(async () => {
  s3 = await startS3();
  bucket = await s3.bucket(uniqueName('catalog'));
  env = await connectorTestEnv({
    queue: 's3w',
    seed,
    workerEnv: (db) => ({ S3W_DB: db.url, S3W_KEY: S3_ACCESS_KEY_ID, S3W_SECRET: S3_SECRET_ACCESS_KEY, S3W_BAD_KEY: 'AKIAWRONGWRONGWRONG', S3W_BAD_SECRET: 'not-the-secret-value' }),
  });
});

after(async () => {
  await env?.close();
  await s3?.stop();
});

/** The rows as postgres.read hands them over (timestamps as PostgreSQL text). */
async function expectedRows(): Promise<Row[]> {
  const res = await env.db.pool.query(`select id, name, amount, created_at::text as created_at, meta, flag, n from src_orders order by id`);
  return res.rows as Row[];
}

function pipeline(name: string, write: Record<string, unknown>, batchSize = 100, extra: Record<string, unknown> = {}) {
  return spec({
    name: uniqueName(name),
    ...extra,
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'S3W_DB' }, query: QUERY, batchSize } },
      { id: 'publish', type: 's3.write', needs: ['extract'], config: { bucket, endpoint: s3.endpoint, credentials: CREDENTIALS, ...write } },
    ],
  });
}

async function manifestOf(prefix: string): Promise<S3Manifest> {
  return JSON.parse((await s3.get(bucket, `${prefix}/_manifest.json`)).toString()) as S3Manifest;
}

test('postgres.read -> s3.write (csv, gzip) writes one object per part and, last, a manifest listing them', async () => {
  const prefix = `exports/${uniqueName('csv')}`;
  const handle = await startRun(env.client, env.taskQueue, pipeline('s3-csv', { prefix: `/${prefix}/`, format: 'csv', gzip: true }));
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const names = ['part-000000.csv.gz', 'part-000001.csv.gz', 'part-000002.csv.gz'];
  assert.deepEqual(await s3.keys(bucket, `${prefix}/`), [...names.map((n) => `${prefix}/${n}`), `${prefix}/_manifest.json`].sort());
  assert.deepEqual(result.nodes.publish!.outputs, {
    rows: ROWS, batches: 3, skippedBatches: 0, badRows: 0, rejected: null,
    bucket, prefix: `${prefix}/`, objects: 3, manifest: `s3://${bucket}/${prefix}/_manifest.json`,
  });

  const expected = await expectedRows();
  const csvOf = (v: unknown) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const all: Record<string, string>[] = [];
  for (const [i, name] of names.entries()) {
    const text = zlib.gunzipSync(await s3.get(bucket, `${prefix}/${name}`)).toString();
    assert.ok(text.startsWith('id,name,amount,created_at,meta,flag,n\n'), 'each object starts with its own header line');
    if (i === 0) {
      assert.match(text, /\n1,"",1\.25,/, 'an empty string is ""');
      assert.match(text, /\n10,,12\.50,/, 'null is an empty field');
      assert.match(text, /\n5,"two\nlines, ""quoted""",6\.25,2024-01-01 00:00:05\.000006\+00,"{""n"":5,/);
    }
    all.push(...(parseCsv(text, { columns: true }) as Record<string, string>[]));
  }
  assert.deepEqual(all, expected.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, csvOf(v)]))));

  const manifest = await manifestOf(prefix);
  assert.equal(manifest.runId, handle.workflowId);
  assert.equal(manifest.nodeId, 'publish');
  assert.deepEqual({ format: manifest.format, gzip: manifest.gzip, rows: manifest.rows, prefix: manifest.prefix }, { format: 'csv', gzip: true, rows: ROWS, prefix: `${prefix}/` });
  assert.deepEqual(manifest.objects.map((o) => [o.key, o.rows]), names.map((n, i) => [`${prefix}/${n}`, i < 2 ? 100 : 50]));
  for (const o of manifest.objects) assert.equal(o.bytes, (await s3.head(bucket, o.key)).ContentLength);
  assert.deepEqual(manifest.schema.map((c) => [c.name, c.type]), [
    ['id', 'bigint'], ['name', 'text'], ['amount', 'numeric'], ['created_at', 'timestamp'], ['meta', 'json'], ['flag', 'boolean'], ['n', 'int'],
  ]);
  // Written last: no object of the load was written after the manifest.
  const puts = s3.requests.filter((r) => r.startsWith('PUT ') && r.includes(`/${prefix}/`));
  assert.equal(puts.length, 4);
  assert.equal(puts.at(-1), `PUT /${bucket}/${prefix}/_manifest.json?x-id=PutObject`);
});

test('postgres.read -> s3.write (jsonl) objects hold exactly the rows read, with the values the reader produced', async () => {
  const prefix = uniqueName('jsonl');
  const result = (await (await startRun(env.client, env.taskQueue, pipeline('s3-jsonl', { prefix, format: 'jsonl' }, 120))).result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const keys = await s3.keys(bucket, `${prefix}/`);
  assert.deepEqual(keys, [`${prefix}/_manifest.json`, `${prefix}/part-000000.jsonl`, `${prefix}/part-000001.jsonl`, `${prefix}/part-000002.jsonl`]);
  const rows: Row[] = [];
  for (const key of keys.filter((k) => k.endsWith('.jsonl'))) {
    const text = (await s3.get(bucket, key)).toString();
    rows.push(...text.trimEnd().split('\n').map((l) => JSON.parse(l) as Row));
  }
  const expected = await expectedRows();
  assert.deepEqual(rows, expected);
  assert.equal(typeof rows[0]!.id, 'string', 'bigint stays an exact string');
  assert.equal(rows[3]!.created_at, expected[3]!.created_at);
  assert.match(String(rows[3]!.created_at), /:04\.000005\+00$/, 'microseconds intact');
  assert.equal((await manifestOf(prefix)).rows, ROWS);
});

const SINK = s3Connector.nodes[0] as SinkNodeType;
const SCHEMA: ColumnSchema[] = [{ name: 'id', type: 'int' }, { name: 'body', type: 'text' }];
const log = createLogger('silent');

async function openWriter(prefix: string, runId: string, extra: Record<string, unknown> = {}): Promise<SinkWriter> {
  const config = s3WriteConfig.parse({ bucket, prefix, endpoint: s3.endpoint, credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY }, ...extra });
  return SINK.open(config, { runId, pipeline: 'direct', nodeId: 'publish', attempt: 1, log, signal: new AbortController().signal, access: testAccess, schema: SCHEMA });
}
const rowsOf = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: from + i, body: `row ${from + i}` }));

test('a retried part overwrites its own object, and a later, smaller load at the same prefix leaves no stale parts', async () => {
  const prefix = uniqueName('retry');
  const first = await openWriter(prefix, 'run-a');
  await first.write(0, rowsOf(0, 10));
  await first.write(1, rowsOf(10, 10));
  await first.write(2, rowsOf(20, 5));
  // The attempt that wrote part 2 "crashed"; the retry writes it again.
  await first.write(2, rowsOf(20, 5));
  await first.finish({ batches: 3, rows: 25 });
  await first.close();
  assert.deepEqual(await s3.keys(bucket, `${prefix}/`), [`${prefix}/_manifest.json`, `${prefix}/part-000000.jsonl`, `${prefix}/part-000001.jsonl`, `${prefix}/part-000002.jsonl`]);
  assert.equal((await s3.get(bucket, `${prefix}/part-000002.jsonl`)).toString().trimEnd().split('\n').length, 5);
  assert.equal((await manifestOf(prefix)).rows, 25);

  // A new load (another run) at the same prefix: the old manifest is withdrawn as soon as it starts.
  const second = await openWriter(prefix, 'run-b', { format: 'csv' });
  assert.ok(!(await s3.keys(bucket, `${prefix}/`)).includes(`${prefix}/_manifest.json`), 'no manifest while a load is in progress');
  await second.write(0, rowsOf(100, 3));
  await second.finish({ batches: 1, rows: 3 });
  await second.close();
  assert.deepEqual(await s3.keys(bucket, `${prefix}/`), [`${prefix}/_manifest.json`, `${prefix}/part-000000.csv`]);
  const manifest = await manifestOf(prefix);
  assert.equal(manifest.runId, 'run-b');
  assert.deepEqual(manifest.objects.map((o) => [o.key, o.rows]), [[`${prefix}/part-000000.csv`, 3]]);
});

test('finish refuses to publish a manifest over an object that another load overwrote', async () => {
  const prefix = uniqueName('clash');
  const mine = await openWriter(prefix, 'run-mine');
  const theirs = await openWriter(prefix, 'run-theirs');
  await mine.write(0, rowsOf(0, 2));
  await theirs.write(0, rowsOf(50, 2));
  await assert.rejects(mine.finish({ batches: 1, rows: 2 }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^config\.prefix: object s3:\/\/.*\/part-000000\.jsonl was overwritten by run run-theirs node publish: two loads are writing to the same prefix/);
    return true;
  });
  assert.ok(!(await s3.keys(bucket, `${prefix}/`)).includes(`${prefix}/_manifest.json`));
  await mine.close();
  await theirs.close();
});

test('a part larger than partSizeMb is sent as a multipart upload and arrives whole', async () => {
  const prefix = uniqueName('big');
  const writer = await openWriter(prefix, 'run-big', { partSizeMb: 5 });
  // ~7 MiB of JSON lines: two 5 MiB-or-less parts.
  const rows = Array.from({ length: 14_000 }, (_, i) => ({ id: i, body: `${i}:`.padEnd(500, String.fromCharCode(97 + (i % 26))) }));
  const before = s3.requests.length;
  await writer.write(0, rows);
  await writer.write(1, rowsOf(0, 3));
  await writer.finish({ batches: 2, rows: rows.length + 3 });
  await writer.close();
  const key = `${prefix}/part-000000.jsonl`;
  const seen = s3.requests.slice(before);
  assert.ok(seen.some((r) => r.startsWith(`POST /${bucket}/${key}?uploads`)), `multipart upload started: ${seen.join(' | ')}`);
  assert.equal(seen.filter((r) => r.startsWith(`PUT /${bucket}/${key}?`) && /partNumber=\d/.test(r)).length, 2, 'two parts uploaded');
  assert.ok(seen.some((r) => r.startsWith(`POST /${bucket}/${key}?uploadId=`)), 'multipart upload completed');
  assert.ok(seen.includes(`PUT /${bucket}/${prefix}/part-000001.jsonl?x-id=PutObject`), 'a small part is a single PUT');
  const body = await s3.get(bucket, key);
  assert.ok(body.length > 5 * 1024 * 1024);
  assert.deepEqual(body.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as Row), rows);
  assert.equal((await manifestOf(prefix)).rows, 14_003);
});

test('pausing s3.write mid-load and resuming writes every part exactly once', async () => {
  const prefix = uniqueName('pause');
  // Slow part uploads down so the pause lands mid-load.
  const slow = s3.inject({ match: new RegExp(`^PUT /${bucket}/${prefix}/part-`), delayMs: 150 });
  try {
    const handle = await startRun(env.client, env.taskQueue, pipeline('s3-pause', { prefix }, 10));
    const parts = async () => (await s3.keys(bucket, `${prefix}/`)).filter((k) => k.includes('/part-')).length;
    await waitFor(async () => (await parts()) >= 3, 'the first objects');
    await handle.signal('pause');
    await waitFor(async () => (await progressOf(handle)).nodes.publish!.state === 'paused', 'the sink to stop at a part boundary');
    const atPause = await parts();
    assert.ok(atPause < ROWS / 10, `paused mid-load (${atPause} objects)`);
    assert.ok(!(await s3.keys(bucket, `${prefix}/`)).includes(`${prefix}/_manifest.json`), 'no manifest for an unfinished load');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await parts(), atPause, 'nothing is written while paused');
    await handle.signal('resume');
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    const keys = await s3.keys(bucket, `${prefix}/`);
    assert.equal(keys.length, ROWS / 10 + 1);
    const manifest = await manifestOf(prefix);
    assert.equal(manifest.rows, ROWS);
    assert.deepEqual(manifest.objects.map((o) => o.key), keys.filter((k) => k.includes('/part-')));
    const ids: string[] = [];
    for (const o of manifest.objects) ids.push(...(await s3.get(bucket, o.key)).toString().trimEnd().split('\n').map((l) => String((JSON.parse(l) as Row).id)));
    assert.deepEqual(ids, Array.from({ length: ROWS }, (_, i) => String(i + 1)));
  } finally {
    slow();
  }
});

test('an attempt that fails mid-load is retried and the prefix holds each part exactly once', async () => {
  const prefix = uniqueName('flaky');
  // part 2 fails more often than the SDK retries, so the node's attempt fails and Temporal retries it.
  const flaky = s3.inject({ match: new RegExp(`^PUT /${bucket}/${prefix}/part-000002`), failTimes: 3 });
  try {
    const s = pipeline('s3-flaky', { prefix }, 50, { defaults: { retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 3 } } });
    const result = (await (await startRun(env.client, env.taskQueue, s)).result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.equal(result.nodes.publish!.attempt, 2);
    const keys = await s3.keys(bucket, `${prefix}/`);
    assert.deepEqual(keys, [`${prefix}/_manifest.json`, ...[0, 1, 2, 3, 4].map((i) => `${prefix}/part-00000${i}.jsonl`)]);
    assert.equal((await manifestOf(prefix)).rows, ROWS);
  } finally {
    flaky();
  }
});

test('s3.write without a bucket is refused at validation with the config path', () => {
  const result = validatePipeline(
    {
      name: 'no-bucket',
      nodes: [
        { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'DB' }, query: 'select 1' } },
        { id: 'publish', type: 's3.write', needs: ['extract'], config: { prefix: 'x', format: 'parquet' } },
      ],
    },
    testCatalog,
  );
  assert.equal(result.ok, false);
  const errors = result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
  assert.ok(errors.some((e) => e.startsWith('nodes[1].config.bucket: ')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('nodes[1].config.format: ')), errors.join('\n'));
});

test('wrong S3 credentials fail the node on its first attempt with a clear error that never shows the secret', async () => {
  const s = pipeline('s3-badcreds', { prefix: 'never', credentials: { accessKeyId: { $secret: 'S3W_BAD_KEY' }, secretAccessKey: { $secret: 'S3W_BAD_SECRET' } } }, 100, {
    defaults: { retry: { initialInterval: '100ms', maximumAttempts: 5 } },
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  await assert.rejects(handle.result(), WorkflowFailedError);
  const p = await progressOf(handle);
  assert.equal(p.nodes.publish!.state, 'failed');
  assert.equal(p.nodes.publish!.attempt, 1, 'not retried');
  const error = p.nodes.publish!.error ?? '';
  assert.match(error, /access denied by S3 \(InvalidAccessKeyId\): check config\.credentials and that they may use bucket "catalog-/);
  assert.ok(!error.includes('AKIAWRONGWRONGWRONG') && !error.includes('not-the-secret-value'), error);
  assert.deepEqual(await s3.keys(bucket, 'never/'), []);
});

test('check proves the bucket and credentials cheaply, and says which setting is wrong', async () => {
  const base = { bucket, endpoint: s3.endpoint, credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY } };
  const ctx = { runId: 'check', pipeline: 'p', nodeId: 'publish', attempt: 1, log, signal: new AbortController().signal, access: testAccess };
  const check = (config: Record<string, unknown>) => SINK.check!(s3WriteConfig.parse(config), ctx);
  await check(base);
  await assert.rejects(check({ ...base, bucket: 'no-such-bucket-here' }), (err: Error) => err instanceof ConfigError && err.message === 'config.bucket: bucket "no-such-bucket-here" does not exist');
  await assert.rejects(
    check({ ...base, credentials: { accessKeyId: 'WRONG', secretAccessKey: 'x' } }),
    (err: Error) => err instanceof ConfigError && /^checking bucket "catalog-\w+": access denied by S3 \(Forbidden\): check config\.credentials/.test(err.message),
  );
  const down = await check({ ...base, endpoint: 'http://127.0.0.1:9' }).then(() => null, (err: Error) => err);
  assert.ok(down && !(down instanceof ConfigError), 'an unreachable endpoint may come back: retryable');
  assert.match(down.message, /cannot reach the S3 endpoint \(ECONNREFUSED; check config\.endpoint\)/);
});
