// The byte-level CSV tokenizer and the line splitter: values, line numbers and end offsets must be
// the same however the input is cut into chunks, since those offsets are the resume cursor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvTokenizer, type CsvRecord } from '../parse.js';
import { LineSplitter, type Line } from '../../../src/kit/files/lines.js';
import { DataError } from '../../../src/kit/errors.js';

const DIALECT = { delimiter: ',', quote: '"' };

interface Flat {
  fields: (string | null)[];
  line: number;
  end: { byte: number; line: number };
  error?: string;
  text: string;
}

function flat(r: CsvRecord): Flat {
  const out: Flat = { fields: r.fields.map((f) => (f.quoted || f.value !== '' ? f.value : null)), line: r.line, end: r.end, text: r.text() };
  if (r.error) out.error = r.error;
  return out;
}

/** Tokenizes `input` cut into chunks of `size` bytes. */
function tokenize(input: string | Buffer, size = Infinity, dialect = DIALECT): Flat[] {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const t = new CsvTokenizer(dialect, { byte: 0, line: 0 });
  const out: Flat[] = [];
  for (let i = 0; i < buf.length; i += Math.min(size, buf.length)) for (const r of t.push(buf.subarray(i, i + size))) out.push(flat(r));
  for (const r of t.end()) out.push(flat(r));
  return out;
}

/** Same records for every chunk size from 1 byte up. */
function sameForEveryChunking(input: string): Flat[] {
  const whole = tokenize(input);
  for (let size = 1; size <= Buffer.byteLength(input); size++) assert.deepEqual(tokenize(input, size), whole, `chunks of ${size} bytes`);
  return whole;
}

test('quoted fields keep delimiters, doubled quotes and line breaks; unquoted empty is null, "" is empty', () => {
  const input = 'id,name,note\n1,"Smith, Jane","said ""hi""\nthen left"\n2,,""\n';
  const records = sameForEveryChunking(input);
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      ['id', 'name', 'note'],
      ['1', 'Smith, Jane', 'said "hi"\nthen left'],
      ['2', null, ''],
    ],
  );
  assert.deepEqual(
    records.map((r) => r.line),
    [1, 2, 4],
    'a record spanning two lines moves the next record to line 4',
  );
  assert.deepEqual(records.at(-1)!.end, { byte: Buffer.byteLength(input), line: 4 });
  assert.equal(records[1]!.text, '1,"Smith, Jane","said ""hi""\nthen left"');
});

test('multi-byte UTF-8 split across chunks decodes intact, and offsets count bytes', () => {
  const input = 'name,city\nZoë,Kraków\n"日本語, テキスト",🦀\n';
  const records = sameForEveryChunking(input);
  assert.deepEqual(records[1]!.fields, ['Zoë', 'Kraków']);
  assert.deepEqual(records[2]!.fields, ['日本語, テキスト', '🦀']);
  assert.equal(records[1]!.end.byte, Buffer.byteLength('name,city\nZoë,Kraków\n'));
});

test('CRLF, lone CR and a missing final line ending all end records; blank lines are skipped', () => {
  const records = sameForEveryChunking('a,b\r\n1,2\r\n\r\n3,4\r5,6');
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ],
  );
  assert.deepEqual(
    records.map((r) => r.line),
    [1, 2, 4, 4],
    'line numbers count LFs',
  );
  assert.equal(records[0]!.text, 'a,b', 'the record text has no line ending');
});

test('text after a closing quote makes a bad record and tokenizing resumes on the next line', () => {
  const records = sameForEveryChunking('a,b\n"x"y,2\n3,4\n');
  assert.equal(records[1]!.error, 'unexpected "y" after the closing quote of field 1');
  assert.equal(records[1]!.line, 2);
  assert.equal(records[1]!.text, '"x"y,2');
  assert.deepEqual(records[2]!.fields, ['3', '4']);
  assert.equal(records[2]!.line, 3);
});

test('a quote never closed is one bad record at the end', () => {
  const records = sameForEveryChunking('a,b\n1,"open\n2,3\n');
  assert.equal(records.length, 2);
  assert.match(records[1]!.error!, /quote opened in field 2 is never closed/);
  assert.equal(records[1]!.line, 2);
});

test('a record longer than the limit fails with its line instead of growing without bound', () => {
  const t = new CsvTokenizer(DIALECT, { byte: 0, line: 0 }, 100);
  const drain = (g: Iterable<CsvRecord>) => [...g];
  drain(t.push(Buffer.from('a,b\n"')));
  assert.throws(() => drain(t.push(Buffer.alloc(200, 'x'))), (err: unknown) => err instanceof DataError && /^line 2: a record longer than 100 bytes/.test(err.message));
});

test('a tab delimiter and a custom quote character', () => {
  const records = tokenize("a\tb\n'x\ty'\t'it''s'\n", Infinity, { delimiter: '\t', quote: "'" });
  assert.deepEqual(records[1]!.fields, ['x\ty', "it's"]);
});

test('a tokenizer started at a saved position continues its byte and line counts', () => {
  const input = 'a,b\n"1\n1",2\n3,4\n';
  const all = tokenize(input);
  const from = all[1]!.end;
  const t = new CsvTokenizer(DIALECT, from);
  const rest = [...t.push(Buffer.from(input).subarray(from.byte)), ...t.end()].map(flat);
  assert.deepEqual(rest, all.slice(2));
});

function split(input: string, size: number): Line[] {
  const buf = Buffer.from(input);
  const s = new LineSplitter({ byte: 0, line: 0 }, 50);
  const out: Line[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(...s.push(buf.subarray(i, i + size)));
  out.push(...s.end());
  return out;
}

test('the line splitter gives the same lines, numbers and offsets for every chunking, and reports overlong lines', () => {
  const long = 'y'.repeat(80);
  const input = `{"a":1}\r\n\n{"b":"ü"}\n${long}\n{"c":3}`;
  const whole = split(input, input.length);
  for (let size = 1; size < input.length; size++) assert.deepEqual(split(input, size), whole, `chunks of ${size}`);
  assert.deepEqual(
    whole.map((l) => [l.text.slice(0, 10), l.line, l.end.byte, l.tooLong]),
    [
      ['{"a":1}', 1, 9, undefined],
      ['', 2, 10, undefined],
      ['{"b":"ü"}', 3, 21, undefined],
      ['yyyyyyyyyy', 4, 102, 80],
      ['{"c":3}', 5, 109, undefined],
    ],
  );
  assert.equal(whole[3]!.text, 'y'.repeat(50), 'an overlong line keeps only a preview');
});
