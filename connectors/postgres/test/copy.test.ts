// The COPY text path on a real PostgreSQL and a real Temporal server: a read of scalar columns is
// staged as the bytes COPY sends and decodes to exactly what the row reader would hand over; a
// map that only renames, drops or keeps columns passes those bytes on; the load puts every value
// back unchanged; reads COPY cannot express (parameters, arrays) still go row by row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { type DatasetRef, type Row } from '../../../src/kit/dataset.js';
import { readTypes } from '../types.js';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, type TestDatabase } from '../../../test/helpers/env.js';
import { spec, startRun } from '../../../test/helpers/pipelines.js';

const connection = { $secret: 'COPY_TEST_DB' };

let env: ConnectorTestEnv;

const COLUMNS = `id bigint PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, n numeric,
  t text, vc varchar(20), bp char(5), d date, ts timestamp, tstz timestamptz, tm time, j json, jb jsonb, u uuid`;

async function seed(db: TestDatabase): Promise<void> {
  await db.pool.query(`CREATE TABLE kinds (${COLUMNS})`);
  await db.pool.query(`INSERT INTO kinds VALUES
    (1, true, -32768, 2147483647, 9223372036854775807, 1.5, 0.1, 12345678901234567890.123456789,
     E'tab\\there, new\\nline, cr\\r, back\\\\slash', 'héllo 🌍', 'ab', '2024-02-29', '2024-01-01 00:00:00.000001', '2024-06-30 23:59:59.999999+02', '12:34:56.789',
     '{"a": [1, 2.50, "x\\ty"]}', '{"nested": {"k": "v"}, "n": 1e3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    (2, false, 0, 0, -9223372036854775808, 'NaN', '-Infinity', 'NaN', '', '', '', 'infinity', '-infinity', 'infinity', '00:00', '"just a string"', 'null', NULL),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, true, 1, 1, 1, '-0', 1e308, '-0.000001', E'\\\\N', 'x', 'abcde', '0001-01-01', '2000-01-01', '1970-01-01 00:00:00+00', '23:59:59.999999',
     '[]', '[1, "two", {"three": 3}]', '00000000-0000-0000-0000-000000000000')`);
  await db.pool.query(`INSERT INTO kinds (id, t, n, tstz) SELECT g, 'row ' || g, g / 7.0, timestamptz '2024-01-01' + g * interval '1.5 second' FROM generate_series(5, 1000) g`);
}

before(async () => {
  env = await connectorTestEnv({ queue: 'pgcopy', seed, workerEnv: (db) => ({ COPY_TEST_DB: db.url }) });
});

after(() => env?.close());

/** The rows as the row-by-row reader gets them (the same type parsers). */
async function rowsOf(sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: env.db.url, types: readTypes });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function count(sql: string): Promise<number> {
  return Number((await env.db.pool.query(sql)).rows[0].n);
}

async function run(nodes: unknown[]): Promise<RunProgress> {
  const result = (await (await startRun(env.client, env.taskQueue, spec({ name: uniqueName('copy'), nodes }))).result()) as RunProgress;
  assert.equal(result.status, 'completed', JSON.stringify(result.nodes));
  return result;
}

for (const mode of [
  { name: 'keyset (table)', config: { table: 'kinds', batchSize: 64 } },
  { name: 'query without a key (offset)', config: { query: 'SELECT * FROM kinds ORDER BY id', batchSize: 64 } },
]) {
  test(`a ${mode.name} read of scalar columns is staged as COPY text and decodes to exactly the row reader's values`, async () => {
    const result = await run([{ id: 'extract', type: 'postgres.read', config: { connection, ...mode.config } }]);
    const ref = result.nodes.extract!.outputs!.dataset as DatasetRef;
    assert.equal(ref.format, 'pgcopy');
    assert.equal(ref.rows, 1000);
    assert.equal(ref.parts, Math.ceil(1000 / 64), 'one part per batch');
    assert.deepEqual(
      ref.schema.map((c) => c.type),
      ['bigint', 'boolean', 'int', 'int', 'bigint', 'float', 'float', 'numeric', 'text', 'text', 'text', 'date', 'timestamp', 'timestamp', 'text', 'json', 'json', 'text'],
    );
    assert.deepEqual(await env.stagedRows(ref), await rowsOf('SELECT * FROM kinds ORDER BY id'));
  });
}

test('read -> map (rename, drop, unchanged casts) -> write passes COPY text through and loads every value unchanged', async () => {
  await env.db.pool.query(`CREATE TABLE kinds_copy (id bigint PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, f8 double precision, amount numeric,
    label text, vc varchar(20), bp char(5), d date, ts timestamp, tstz timestamptz, tm time, j json, jb jsonb)`);
  const result = await run([
    { id: 'extract', type: 'postgres.read', config: { connection, table: 'kinds', batchSize: 100 } },
    { id: 'clean', type: 'transform.map', needs: ['extract'], config: { rename: { t: 'label', n: 'amount' }, drop: ['u', 'f4'], cast: { n: 'numeric', i8: 'bigint', t: 'string' } } },
    { id: 'load', type: 'postgres.write', needs: ['clean'], config: { connection, table: 'kinds_copy', mode: 'append' } },
  ]);
  const clean = result.nodes.clean!.outputs!.dataset as DatasetRef;
  assert.equal(clean.format, 'pgcopy', 'the map moved COPY text');
  assert.deepEqual(
    clean.schema.map((c) => c.name),
    ['id', 'b', 'i2', 'i4', 'i8', 'f8', 'amount', 'label', 'vc', 'bp', 'd', 'ts', 'tstz', 'tm', 'j', 'jb'],
  );
  assert.equal(result.nodes.load!.outputs!.rows, 1000);
  // Compared as text, so not even a trailing zero or a microsecond may differ (json's own text included).
  const cols = `id, b, i2, i4, i8, f8, n, t, vc, bp, d, ts, tstz, tm, j::text, jb`;
  const copied = `id, b, i2, i4, i8, f8, amount, label, vc, bp, d, ts, tstz, tm, j::text, jb`;
  assert.equal(await count(`SELECT count(*) AS n FROM (SELECT ${cols} FROM kinds EXCEPT ALL SELECT ${copied} FROM kinds_copy) x`), 0);
  assert.equal(await count(`SELECT count(*) AS n FROM (SELECT ${copied} FROM kinds_copy EXCEPT ALL SELECT ${cols} FROM kinds) x`), 0);
});

test('a map that changes values decodes COPY text, and writes COPY text again for the load to take as it is', async () => {
  await env.db.pool.query(`CREATE TABLE kinds_mapped (id bigint PRIMARY KEY, i4 text, n double precision, twice bigint, note text)`);
  const result = await run([
    // Row 2's numeric NaN would not cast to float (a bad record): left out here.
    { id: 'extract', type: 'postgres.read', config: { connection, table: 'kinds', columns: ['id', 'i4', 'n', 't'], where: 'id <> 2', batchSize: 300 } },
    { id: 'clean', type: 'transform.map', needs: ['extract'], config: { cast: { i4: 'string', n: 'float' }, compute: { twice: 'id * 2' }, rename: { t: 'note' } } },
    { id: 'load', type: 'postgres.write', needs: ['clean'], config: { connection, table: 'kinds_mapped' }, maxBadRecords: 0 },
  ]);
  const clean = result.nodes.clean!.outputs!.dataset as DatasetRef;
  assert.equal(clean.format, 'pgcopy');
  const rows = await env.stagedRows(clean);
  assert.equal(rows.length, 999);
  assert.deepEqual(rows.slice(0, 2), [
    { id: '1', i4: '2147483647', n: 12345678901234567000, twice: '2', note: 'tab\there, new\nline, cr\r, back\\slash' },
    { id: '3', i4: null, n: null, twice: '6', note: null },
  ]);
  assert.equal(result.nodes.load!.outputs!.rows, 999);
  const loaded = await rowsOf(`SELECT id, i4, n, twice, note FROM kinds_mapped WHERE id IN (1, 3, 4, 700) ORDER BY id`);
  assert.deepEqual(loaded, [
    { id: '1', i4: '2147483647', n: 12345678901234567000, twice: '2', note: 'tab\there, new\nline, cr\r, back\\slash' },
    { id: '3', i4: null, n: null, twice: '6', note: null },
    { id: '4', i4: '1', n: -0.000001, twice: '8', note: '\\N' },
    { id: '700', i4: null, n: 100, twice: '1400', note: 'row 700' },
  ]);
});

test('upsert of COPY text parts keeps the last row of each key across parts, and updates existing keys', async () => {
  await env.db.pool.query(`CREATE TABLE kinds_latest (bucket bigint PRIMARY KEY, id bigint, t text, kept text DEFAULT 'untouched')`);
  await env.db.pool.query(`INSERT INTO kinds_latest (bucket, id, t) VALUES (3, 0, 'stale'), (42, 0, 'other')`);
  const result = await run([
    // 996 rows over 16 parts, ~100 per bucket: the last one read (the highest id) must win.
    { id: 'extract', type: 'postgres.read', config: { connection, query: 'SELECT id % 10 AS bucket, id, t FROM kinds WHERE id >= 5 ORDER BY id', batchSize: 64 } },
    { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'kinds_latest', mode: 'upsert', key: ['bucket'] } },
  ]);
  assert.equal((result.nodes.extract!.outputs!.dataset as DatasetRef).format, 'pgcopy');
  assert.equal(result.nodes.load!.outputs!.rows, 996);
  const rows = await rowsOf(`SELECT bucket, id, t, kept FROM kinds_latest ORDER BY bucket`);
  assert.deepEqual(rows, [
    ...Array.from({ length: 10 }, (_, b) => ({ bucket: String(b), id: String(990 + (b === 0 ? 10 : b)), t: `row ${990 + (b === 0 ? 10 : b)}`, kept: 'untouched' })),
    { bucket: '42', id: '0', t: 'other', kept: 'untouched' },
  ]);
});

test('rows the destination refuses in a COPY text part are isolated as bad records; the rest of the part loads once', async () => {
  await env.db.pool.query(`CREATE TABLE kinds_checked (id bigint PRIMARY KEY, t text CHECK (t <> 'row 500'))`);
  const result = await run([
    { id: 'extract', type: 'postgres.read', config: { connection, table: 'kinds', columns: ['id', 't'], batchSize: 250 } },
    { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'kinds_checked', mode: 'append' }, maxBadRecords: 1 },
  ]);
  assert.equal(result.nodes.load!.outputs!.badRows, 1);
  assert.equal(result.nodes.load!.outputs!.rows, 999);
  assert.equal(await count(`SELECT count(*) AS n FROM kinds_checked`), 999);
  assert.equal(await count(`SELECT count(*) AS n FROM kinds_checked WHERE t = 'row 500'`), 0);

  // The same through upsert, whose statement runs after the COPY into its temporary table.
  await env.db.pool.query(`CREATE TABLE kinds_checked_up (id bigint PRIMARY KEY, t text CHECK (t <> 'row 700'))`);
  const upsert = await run([
    { id: 'extract', type: 'postgres.read', config: { connection, table: 'kinds', columns: ['id', 't'], batchSize: 250 } },
    { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'kinds_checked_up', mode: 'upsert', key: ['id'] }, maxBadRecords: 1 },
  ]);
  assert.equal(upsert.nodes.load!.outputs!.badRows, 1);
  assert.equal(await count(`SELECT count(*) AS n FROM kinds_checked_up`), 999);
  assert.equal(await count(`SELECT count(*) AS n FROM kinds_checked_up WHERE id = 700`), 0);
});

test('reads COPY cannot stage as they are go row by row: bound parameters, and columns the row reader parses into objects', async () => {
  const result = await run([
    { id: 'params', type: 'postgres.read', config: { connection, table: 'kinds', columns: ['id', 't'], where: 'id > $1', params: [990] } },
    { id: 'arrays', type: 'postgres.read', config: { connection, query: 'SELECT id, ARRAY[id, id + 1] AS pair FROM kinds WHERE id <= 3 ORDER BY id' } },
  ]);
  const params = result.nodes.params!.outputs!.dataset as DatasetRef;
  assert.equal(params.format, undefined);
  assert.equal(params.rows, 10);
  const arrays = result.nodes.arrays!.outputs!.dataset as DatasetRef;
  assert.equal(arrays.format, undefined);
  assert.deepEqual(await env.stagedRows(arrays), [
    { id: '1', pair: ['1', '2'] },
    { id: '2', pair: ['2', '3'] },
    { id: '3', pair: ['3', '4'] },
  ]);
});

test('upsert of rows (an Avro dataset) goes through the temporary table too, and the last row of each key wins', async () => {
  await env.db.pool.query(`CREATE TABLE rows_latest (bucket bigint PRIMARY KEY, id bigint, j jsonb)`);
  await env.db.pool.query(`INSERT INTO rows_latest VALUES (1, 0, '"stale"')`);
  const result = await run([
    // A bound parameter keeps this read on the row path.
    { id: 'extract', type: 'postgres.read', config: { connection, query: `SELECT id % 5 AS bucket, id, jsonb_build_object('id', id) AS j FROM kinds WHERE id > $1 ORDER BY id`, params: [0], batchSize: 300 } },
    { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'rows_latest', mode: 'upsert', key: ['bucket'] } },
  ]);
  assert.equal((result.nodes.extract!.outputs!.dataset as DatasetRef).format, undefined);
  assert.deepEqual(await rowsOf(`SELECT bucket, id, j FROM rows_latest ORDER BY bucket`), [
    { bucket: '0', id: '1000', j: { id: 1000 } },
    { bucket: '1', id: '996', j: { id: 996 } },
    { bucket: '2', id: '997', j: { id: 997 } },
    { bucket: '3', id: '998', j: { id: 998 } },
    { bucket: '4', id: '999', j: { id: 999 } },
  ]);
});
