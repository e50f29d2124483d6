// postgres.read feeding csv.write and jsonl.write on a real Temporal server and a real PostgreSQL.
// The files are checked by PostgreSQL's own parsers (COPY ... CSV, jsonb_populate_record), not by
// ours, and a batch retried after a failed attempt leaves exactly one file per part.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { from as copyFrom } from 'pg-copy-streams';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, waitFor, type TestDatabase } from '../../../test/helpers/env.js';
import { spec, startRun } from '../../../test/helpers/pipelines.js';
import type { RunProgress } from '../../../src/workflows/messages.js';

const ROWS = 2500;
let env: ConnectorTestEnv;
const DB = { $secret: 'SINKS_DB' };
const COLUMNS = 'id bigint, label text, amount numeric(14,4), at timestamptz, meta jsonb, ok boolean, ratio double precision';

async function seed(db: TestDatabase): Promise<void> {
  // Labels with delimiters, quotes, line breaks, unicode, empty strings and nulls; exact numerics
  // and microsecond timestamps; ids past 2^53.
  await db.pool.query(`CREATE TABLE items (${COLUMNS})`);
  await db.pool.query(
    `INSERT INTO items
     SELECT 9007199254740000 + g,
            CASE g % 6 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'comma, "quote" ' || g WHEN 3 THEN E'line\\nbreak\\r\\n' || g WHEN 4 THEN 'ünïcødé 🦀 ' || g ELSE 'plain' || g END,
            CASE WHEN g % 7 = 0 THEN NULL ELSE (g * 1.0001)::numeric(14,4) END,
            timestamptz '2024-01-01 00:00:00.000001+00' + g * interval '1 minute 1.000001 second',
            CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('n', g, 's', 'a,"b"', 'list', jsonb_build_array(g, null, true)) END,
            CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END,
            g / 3.0
     FROM generate_series(1, $1) g`,
    [ROWS],
  );
}

before(async () => {
  env = await connectorTestEnv({ queue: 'csv-write', seed, workerEnv: (db) => ({ SINKS_DB: db.url }), tempDir: 'sluice-csv-write-' });
});

after(() => env?.close());

const extract = { id: 'extract', type: 'postgres.read', config: { connection: DB, query: 'select * from items order by id', batchSize: 1000 } };

/** Rows of `table` that differ from items, in either direction (0 when equal). */
async function differences(table: string): Promise<number> {
  const { rows } = await env.db.pool.query(`SELECT count(*)::int AS n FROM ((TABLE items EXCEPT ALL TABLE ${table}) UNION ALL (TABLE ${table} EXCEPT ALL TABLE items)) d`);
  return rows[0].n;
}

function partFiles(out: string): string[] {
  return fs.readdirSync(out).filter((f) => f.startsWith('part-')).sort();
}

test('postgres.read to csv.write and jsonl.write: files PostgreSQL reads back as the same rows, and a _SUCCESS manifest', async () => {
  const csvDir = path.join(env.dir, 'csv-out');
  const jsonlDir = path.join(env.dir, 'jsonl-out');
  const handle = await startRun(
    env.client,
    env.taskQueue,
    spec({
      name: uniqueName('to-files'),
      nodes: [
        extract,
        { id: 'csv', type: 'csv.write', needs: ['extract'], config: { path: csvDir, gzip: true } },
        { id: 'jsonl', type: 'jsonl.write', needs: ['extract'], config: { path: jsonlDir } },
      ],
    }),
  );
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.deepEqual(
    { rows: result.nodes.csv!.outputs!.rows, files: result.nodes.csv!.outputs!.files, path: result.nodes.csv!.outputs!.path },
    { rows: ROWS, files: 3, path: csvDir },
  );
  assert.deepEqual(partFiles(csvDir), ['part-000000.csv.gz', 'part-000001.csv.gz', 'part-000002.csv.gz']);
  assert.deepEqual(partFiles(jsonlDir), ['part-000000.jsonl', 'part-000001.jsonl', 'part-000002.jsonl']);
  const manifest = JSON.parse(fs.readFileSync(path.join(csvDir, '_SUCCESS'), 'utf8'));
  assert.equal(manifest.rows, ROWS);
  assert.deepEqual(manifest.files, partFiles(csvDir));

  // CSV: PostgreSQL's COPY parser (header, quotes, null = empty unquoted) loads the same rows.
  await env.db.pool.query(`CREATE TABLE from_csv (${COLUMNS})`);
  const client = await env.db.pool.connect();
  try {
    for (const f of partFiles(csvDir)) {
      const copy = client.query(copyFrom(`COPY from_csv FROM STDIN WITH (FORMAT csv, HEADER true)`));
      await pipeline(fs.createReadStream(path.join(csvDir, f)), zlib.createGunzip(), copy);
    }
  } finally {
    client.release();
  }
  assert.equal(await differences('from_csv'), 0, 'the CSV files hold exactly the source rows');

  // JSON lines: one object per line, read by PostgreSQL into the source's types.
  await env.db.pool.query(`CREATE TABLE jsonl_lines (line jsonb)`);
  await env.db.pool.query(`CREATE TABLE from_jsonl (${COLUMNS})`);
  const lines = partFiles(jsonlDir).flatMap((f) => fs.readFileSync(path.join(jsonlDir, f), 'utf8').split('\n').filter(Boolean));
  assert.equal(lines.length, ROWS);
  assert.match(lines[0]!, /^\{"id":"9007199254740001","label":"","amount":"1\.0001","at":"2024-01-01 00:01:01\.000002\+00",/, 'bigint as an exact string; exact text kept');
  const c2 = await env.db.pool.connect();
  try {
    const copy = c2.query(copyFrom(`COPY jsonl_lines FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')`));
    await pipeline(Readable.from(lines.map((l) => l + '\n')), copy);
  } finally {
    c2.release();
  }
  await env.db.pool.query(`INSERT INTO from_jsonl SELECT (jsonb_populate_record(null::items, line)).* FROM jsonl_lines`);
  assert.equal(await differences('from_jsonl'), 0, 'the JSON lines hold exactly the source rows');
});

test('a csv.write batch retried after a failed attempt leaves exactly one complete file per part and no temp files', async () => {
  const out = path.join(env.dir, 'retried');
  // A directory where part 3 should go makes the rename of attempt 1 fail after parts 0-2 are written.
  fs.mkdirSync(path.join(out, 'part-000003.csv', 'blocker'), { recursive: true });
  const handle = await startRun(
    env.client,
    env.taskQueue,
    spec({
      name: uniqueName('retried'),
      nodes: [
        { ...extract, config: { ...extract.config, batchSize: 500 } },
        { id: 'out', type: 'csv.write', needs: ['extract'], retry: { maximumAttempts: 3, initialInterval: '2s' }, config: { path: out } },
      ],
    }),
  );
  await waitFor(async () => fs.existsSync(path.join(out, 'part-000002.csv')), 'attempt 1 to write parts 0-2', 60_000);
  await new Promise((r) => setTimeout(r, 500));
  fs.rmSync(path.join(out, 'part-000003.csv'), { recursive: true });
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.out!.attempt, 2, 'the node needed a second attempt');
  assert.deepEqual(fs.readdirSync(out).sort(), ['_SUCCESS', 'part-000000.csv', 'part-000001.csv', 'part-000002.csv', 'part-000003.csv', 'part-000004.csv']);
  await env.db.pool.query(`CREATE TABLE from_retried (${COLUMNS})`);
  const client = await env.db.pool.connect();
  try {
    for (const f of partFiles(out)) await pipeline(fs.createReadStream(path.join(out, f)), client.query(copyFrom(`COPY from_retried FROM STDIN WITH (FORMAT csv, HEADER true)`)));
  } finally {
    client.release();
  }
  assert.equal(await differences('from_retried'), 0, 'every row once, none twice');
});
