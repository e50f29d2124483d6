// Dataset parts are Avro container files: typed, compressed, and every value reads back exactly
// as the readers handed it over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { decodePart, encodePart } from '../../src/activities/staging/avro-part.js';
import { DataError } from '../../src/kit/errors.js';
import type { ColumnSchema, Row } from '../../src/kit/dataset.js';

const SCHEMA: ColumnSchema[] = [
  { name: 't', type: 'text' },
  { name: 'i', type: 'int' },
  { name: 'b', type: 'bigint' },
  { name: 'f', type: 'float' },
  { name: 'n', type: 'numeric' },
  { name: 'ok', type: 'boolean' },
  { name: 'ts', type: 'timestamp' },
  { name: 'd', type: 'date' },
  { name: 'j', type: 'json' },
];

/** The Avro schema and sluice metadata a part file carries in its header. */
async function header(buf: Buffer): Promise<{ fields: Record<string, unknown>; meta: Record<string, string>; codec: string }> {
  return new Promise((resolve, reject) => {
    const decoder = new avro.streams.BlockDecoder();
    decoder.on('metadata', (type: avro.Type, codec: string, h: { meta: Record<string, Buffer> }) => {
      const schema = type.schema() as { fields: { name: string; type: unknown }[] };
      resolve({
        fields: Object.fromEntries(schema.fields.map((f) => [f.name, f.type])),
        meta: Object.fromEntries(Object.entries(h.meta).map(([k, v]) => [k, v.toString()])),
        codec,
      });
    });
    decoder.on('error', reject);
    decoder.on('data', () => undefined);
    decoder.end(buf);
  });
}

test('every logical type round-trips exactly, including microsecond timestamps, int64 extremes, long numerics, json and nulls', async () => {
  const rows: Row[] = [
    {
      t: 'plain', i: 0, b: '0', f: 0.1, n: '0.10', ok: true,
      ts: '2024-02-29 23:59:59.123456+00', d: '2024-02-29', j: { a: 1, nested: { list: [1, 'two', null, true] } },
    },
    {
      t: 'ünïcødé ✓ "quoted"\nnew line\ttab', i: 2147483647, b: '9223372036854775807', f: 1.7976931348623157e308,
      n: '123456789012345678901234567890.123456789012345678901234567890', ok: false,
      ts: '1999-12-31 23:59:59.999999', d: '0001-01-01', j: ['array', 2, { x: null }],
    },
    {
      t: '', i: -2147483648, b: '-9223372036854775808', f: -5e-324, n: '-0.000001', ok: true,
      ts: '2024-06-01 12:00:00.000001+05:30', d: '4713-11-24 BC', j: 'a JSON string',
    },
    { t: 'x', i: 7, b: '9007199254740993', f: NaN, n: 'NaN', ok: false, ts: 'infinity', d: 'infinity', j: 42.5 },
    { t: 'y', i: -7, b: '-140737488355329', f: Infinity, n: '1e-30', ok: true, ts: '-infinity', d: '-infinity', j: false },
    { t: 'z', i: 1, b: '140737488355327', f: -Infinity, n: '7', ok: true, ts: '0044-03-15 12:00:00.5 BC', d: '2000-01-01', j: 0 },
    { t: null, i: null, b: null, f: null, n: null, ok: null, ts: null, d: null, j: null },
  ];
  const buf = await encodePart(rows, SCHEMA, 'part 0');
  assert.deepEqual(await decodePart(buf, 'part 0'), rows);
});

test('a part is a typed Avro container: nullable unions of int, long, double and boolean, deflate blocks, sluice column metadata', async () => {
  const buf = await encodePart([{ t: 'a', i: 1, b: '2', f: 3.5, n: '4', ok: true, ts: '2024-01-01 00:00:00+00', d: '2024-01-01', j: { k: 1 } }], SCHEMA, 'part 0');
  const h = await header(buf);
  assert.equal(h.codec, 'deflate');
  assert.deepEqual(h.fields, {
    t: ['null', 'string'], i: ['null', 'int'], b: ['null', 'long'], f: ['null', 'double'], n: ['null', 'string'],
    ok: ['null', 'boolean'], ts: ['null', 'string'], d: ['null', 'string'], j: ['null', 'string'],
  });
  const columns = JSON.parse(h.meta['sluice.columns']!) as { name: string; type: string; encoding: string }[];
  assert.deepEqual(columns.map((c) => c.encoding), SCHEMA.map(() => 'typed'));
  assert.deepEqual(columns.map((c) => c.type), SCHEMA.map((c) => c.type));
});

test('values that do not fit their declared type fall back to JSON text for that column and still read back exactly', async () => {
  const rows: Row[] = [
    // oid columns are bigint but pg parses them to numbers; arrays and intervals arrive in "text" columns.
    { t: ['a', 'b'], i: 'not a number', b: 12345, f: '3.14', n: 1.5, ok: 'yes', ts: { hours: 1 }, d: 20240101, j: 123456789012345678901234567890n },
    { t: 'plain', i: 3, b: '007', f: 2.5, n: '2', ok: true, ts: '2024-01-01 00:00:00+00', d: '2024-01-01', j: { ok: true } },
    { t: null, i: 2.5, b: '99999999999999999999', f: null, n: null, ok: null, ts: null, d: null, j: null },
  ];
  const buf = await encodePart(rows, SCHEMA, 'part 0');
  assert.deepEqual(await decodePart(buf, 'part 0'), rows);
  const h = await header(buf);
  const columns = JSON.parse(h.meta['sluice.columns']!) as { name: string; encoding: string }[];
  assert.deepEqual(Object.fromEntries(columns.map((c) => [c.name, c.encoding])), {
    t: 'json', i: 'json', b: 'json', f: 'json', n: 'json', ok: 'json', ts: 'json', d: 'json', j: 'typed',
  });
  assert.deepEqual(h.fields.b, ['null', 'string'], 'the fallback column is stored as a string');
});

test('the fallback is per part: a later part with fitting values is typed again', async () => {
  const schema: ColumnSchema[] = [{ name: 'id', type: 'bigint' }];
  const odd = await header(await encodePart([{ id: 5 }], schema, 'part 0'));
  const fine = await header(await encodePart([{ id: '5' }], schema, 'part 1'));
  assert.deepEqual(odd.fields.id, ['null', 'string']);
  assert.deepEqual(fine.fields.id, ['null', 'long']);
});

test('column names that Avro does not allow are kept, including duplicates after sanitising', async () => {
  const schema: ColumnSchema[] = [
    { name: 'order id', type: 'int' },
    { name: 'order_id', type: 'text' },
    { name: '2nd', type: 'text' },
    { name: 'Ämount €', type: 'numeric' },
    { name: '', type: 'text' },
  ];
  const rows: Row[] = [{ 'order id': 1, order_id: 'x', '2nd': 'y', 'Ämount €': '1.50', '': 'empty name' }];
  assert.deepEqual(await decodePart(await encodePart(rows, schema, 'part 0'), 'part 0'), rows);
});

test('missing fields read back as null and an empty part is a valid file with no rows', async () => {
  const schema: ColumnSchema[] = [{ name: 'a', type: 'int' }, { name: 'b', type: 'text' }];
  assert.deepEqual(await decodePart(await encodePart([{ a: 1 }, { b: 'x', a: undefined }], schema, 'p'), 'p'), [{ a: 1, b: null }, { a: null, b: 'x' }]);
  const empty = await encodePart([], schema, 'p');
  assert.ok(empty.length > 0);
  assert.deepEqual(await decodePart(empty, 'p'), []);
});

test('a row with a field outside the schema fails with a DataError naming the part, row and field', async () => {
  const schema: ColumnSchema[] = [{ name: 'a', type: 'int' }];
  await assert.rejects(encodePart([{ a: 1 }, { a: 2, surprise: 'x' }], schema, 'part 4'), (err: Error) => {
    assert.ok(err instanceof DataError);
    assert.equal(err.message, `part 4 row 2: field "surprise" is not in the dataset's schema (a)`);
    return true;
  });
});

test('a value that cannot be represented at all fails with a DataError naming the row and column', async () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await assert.rejects(encodePart([{ j: { fine: 1 } }, { j: circular }], [{ name: 'j', type: 'json' }], 'part 2'), (err: Error) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /^part 2 row 2 field "j": value cannot be staged: /);
    return true;
  });
});

test('an Avro part is several times smaller than the same rows as JSON lines', async () => {
  const schema: ColumnSchema[] = [
    { name: 'id', type: 'bigint' }, { name: 'customer', type: 'text' }, { name: 'amount', type: 'numeric' },
    { name: 'created_at', type: 'timestamp' }, { name: 'meta', type: 'json' },
  ];
  const rows: Row[] = Array.from({ length: 5000 }, (_, g) => ({
    id: String(1_000_000 + g), customer: `customer-${g % 977}`, amount: ((g % 10000) / 100).toFixed(2),
    created_at: `2024-05-${String(1 + (g % 28)).padStart(2, '0')} 10:${String(g % 60).padStart(2, '0')}:00.${String(g * 37 % 1e6).padStart(6, '0')}+00`, meta: { n: g },
  }));
  const avroBytes = (await encodePart(rows, schema, 'p')).length;
  const jsonBytes = Buffer.byteLength(rows.map((r) => JSON.stringify(r)).join('\n'));
  assert.ok(avroBytes * 4 < jsonBytes, `avro ${avroBytes} bytes vs JSON lines ${jsonBytes} bytes`);
});

test('a corrupt part fails with an error naming it', async () => {
  await assert.rejects(decodePart(Buffer.from('not avro at all'), 'file:///x/part-000003.avro'), /file:\/\/\/x\/part-000003\.avro is not a readable dataset part: invalid magic bytes/);
});
