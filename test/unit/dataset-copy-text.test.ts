// The COPY text part format: batches cut at row boundaries whatever the chunking, escapes and
// NULLs decoded per column type, and column projection that keeps field text as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnSchema, ColumnType, Row } from '../../src/kit/dataset.js';
import { copyEncodable, CopyBatcher, countRows, decodeCopyText, decodeLastRow, encodeCopyText, mapCopyText, unescapeField } from '../../src/kit/copy-text.js';

const schema: ColumnSchema[] = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'text' },
  { name: 'n', type: 'int' },
  { name: 'f', type: 'float' },
  { name: 'ok', type: 'boolean' },
  { name: 'j', type: 'json' },
  { name: 'amount', type: 'numeric' },
];

const text =
  '9007199254740993\tplain\t7\t1.5\tt\t{"a": [1, 2]}\t12.50\n' +
  '2\ttab\\there\\nnew line \\\\ back\\rslash\t-3\tNaN\tf\t"s"\tNaN\n' +
  '3\t\\N\t\\N\t-Infinity\t\\N\tnull\t\\N\n' +
  '4\t\t0\t-0\tt\t{"k": "v\\\\tx"}\t-Infinity\n' +
  '5\t\\\\N is not null\t1\t1e+100\tf\t1\t0\n';

test('decodes fields by column type: escapes, NULL versus empty and versus the text \\N, exact bigints and numerics', () => {
  const rows = decodeCopyText(Buffer.from(text), schema, 'part 0');
  assert.deepEqual(rows, [
    { id: '9007199254740993', name: 'plain', n: 7, f: 1.5, ok: true, j: { a: [1, 2] }, amount: '12.50' },
    { id: '2', name: 'tab\there\nnew line \\ back\rslash', n: -3, f: NaN, ok: false, j: 's', amount: 'NaN' },
    { id: '3', name: null, n: null, f: -Infinity, ok: null, j: null, amount: null },
    { id: '4', name: '', n: 0, f: -0, ok: true, j: { k: 'v\tx' }, amount: '-Infinity' },
    { id: '5', name: '\\N is not null', n: 1, f: 1e100, ok: false, j: 1, amount: '0' },
  ]);
  assert.equal(countRows(Buffer.from(text)), 5);
  assert.deepEqual(decodeLastRow(Buffer.from(text), schema), rows[4]);
});

test('octal and hex escapes, and a backslash before any other character, decode as COPY FROM reads them', () => {
  assert.equal(unescapeField('a\\101\\x42\\7c'), 'aAB\u0007c');
  assert.equal(unescapeField('\\q\\\\'), 'q\\');
  assert.equal(unescapeField('ends with \\'), 'ends with \\');
});

test('a row with the wrong number of fields or a cut-off last row is an error naming the part and row', () => {
  assert.throws(() => decodeCopyText(Buffer.from('1\tx\n2\n'), schema.slice(0, 2), 'part 4'), /^Error: part 4 row 2: COPY text row has 1 field\(s\), the dataset's schema 2$/);
  assert.throws(() => decodeCopyText(Buffer.from('1\tx\n2\ty'), schema.slice(0, 2), 'part 4'), /part 4: COPY text ends in the middle of a row/);
});

test('batches hold exactly `size` rows however the stream chunks the bytes, even mid-row and mid-escape', () => {
  const all = Buffer.from(text.repeat(7));
  for (const size of [1, 2, 3, 5, 8, 100]) {
    for (const chunkSize of [1, 2, 7, 13, all.length]) {
      const batcher = new CopyBatcher(size);
      const batches: { data: Buffer; rows: number }[] = [];
      for (let at = 0; at < all.length; at += chunkSize) batches.push(...batcher.push(all.subarray(at, at + chunkSize)));
      const rest = batcher.flush();
      if (rest) batches.push(rest);
      assert.deepEqual(Buffer.concat(batches.map((b) => b.data)), all, `size ${size}, chunks of ${chunkSize}: bytes unchanged`);
      assert.deepEqual(
        batches.map((b) => b.rows),
        batches.map((b) => countRows(b.data)),
        'each batch counts its own rows',
      );
      assert.ok(batches.slice(0, -1).every((b) => b.rows === size), `size ${size}, chunks of ${chunkSize}: every batch but the last is full`);
      assert.equal(batches.reduce((n, b) => n + b.rows, 0), 35);
    }
  }
  const cut = new CopyBatcher(10);
  cut.push(Buffer.from('1\tx\n2\t'));
  assert.throws(() => cut.flush(), /COPY output ended in the middle of a row/);
});

test('a field-by-field rewrite keeps untouched fields as they are, casts the others, and returns rows whose cast fails', () => {
  const notNumber = (v: unknown) => {
    if (typeof v === 'number' && Number.isNaN(v)) throw new RangeError('field "f": NaN');
    return v === null ? null : String(v);
  };
  const out = mapCopyText(Buffer.from(text), schema, [schema[6]!, { name: 'label', type: 'text' }, { name: 'f', type: 'text' }, schema[0]!], [{ from: 6 }, { from: 1 }, { from: 3, cast: notNumber }, { from: 0 }], 'part 3', (err) => err instanceof RangeError);
  assert.equal(out.rowsIn, 5);
  assert.equal(out.rowsOut, 4);
  assert.deepEqual(out.data.toString().split('\n'), [
    '12.50\tplain\t1.5\t9007199254740993',
    '\\N\t\\N\t-Infinity\t3',
    '-Infinity\t\t0\t4',
    '0\t\\\\N is not null\t1e+100\t5',
    '',
  ]);
  assert.deepEqual(out.bad, [{ row: decodeCopyText(Buffer.from(text), schema, 'all')[1], line: 2, reason: 'field "f": NaN' }]);
  assert.throws(
    () => mapCopyText(Buffer.from(text), schema, [schema[3]!], [{ from: 3, cast: () => { throw new TypeError('a bug'); } }], 'part 3', (err) => err instanceof RangeError),
    /^TypeError: a bug$/,
    'other errors are not bad records',
  );
  const two = schema.slice(0, 2);
  const keep = [{ from: 1 }, { from: 0 }];
  assert.throws(() => mapCopyText(Buffer.from('1\tx\n2\n'), two, two, keep, 'part 5', () => true), /^Error: part 5 row 2: COPY text row has 1 field\(s\), the dataset's schema 2$/);
  assert.throws(() => mapCopyText(Buffer.from('1\tx\ty\n'), two, two, keep, 'part 5', () => true), /^Error: part 5 row 1: COPY text row has more fields than the dataset's schema \(2\)$/);
  assert.throws(() => mapCopyText(Buffer.from('1\tx\n2\ty'), two, two, keep, 'part 5', () => true), /^Error: part 5: COPY text ends in the middle of a row$/);
  assert.equal(mapCopyText(Buffer.from('1\tx\n2\ty\n'), two, two, keep, 'part 5', () => true).data.toString(), 'x\t1\ny\t2\n');
});

test('rows a transform produces encode to COPY text and decode back identical', () => {
  const schema2: ColumnSchema[] = [...schema, { name: 'at', type: 'timestamp' }, { name: 'day', type: 'date' }];
  const rows: Row[] = [
    { id: '-9223372036854775808', name: 'tab\there\nnew line\r\\N and \\', n: -2147483648, f: -0, ok: true, j: { big: 12n, list: [1, 'x\ty'] }, amount: '-1.50', at: '2024-01-01 00:00:00.000001+00', day: 'infinity' },
    { id: '0', name: '', n: 0, f: NaN, ok: false, j: 'just a string', amount: 'NaN', at: null, day: '2024-02-29' },
    { id: '1', name: null, n: null, f: -Infinity, ok: null, j: NaN, amount: null, at: '-infinity', day: null },
    { id: '2', name: '🌍', n: 1, f: 1e-300, ok: true, j: [], amount: '0', at: undefined, day: undefined },
  ];
  const encoded = encodeCopyText(rows, schema2, 'part 0');
  assert.equal(countRows(encoded), 4);
  const decoded = decodeCopyText(encoded, schema2, 'part 0');
  assert.ok(Object.is(decoded[0]!.f, -0), '-0 keeps its sign');
  assert.deepEqual(decoded[0], { ...rows[0]!, j: { big: '12', list: [1, 'x\ty'] } }, 'a bigint inside JSON is its digits, as in Avro parts');
  assert.deepEqual(decoded.slice(1), rows.slice(1).map((r) => ({ ...r, at: r.at ?? null, day: r.day ?? null })));
});

test('a value its column type cannot hold is an error, never a changed value; types COPY text cannot hold are declared', () => {
  assert.throws(() => encodeCopyText([{ id: 5 }], [{ name: 'id', type: 'bigint' }], 'part 2'), /^Error: part 2 row 1: field "id" holds a number that its bigint column cannot hold as COPY text$/);
  assert.throws(() => encodeCopyText([{ t: ['a'] }], [{ name: 't', type: 'text' }], 'part 2'), /field "t" holds a object that its text column/);
  assert.equal(copyEncodable(schema), true);
  assert.equal(copyEncodable([{ name: 'x', type: 'bytes' as ColumnType }]), false);
});
