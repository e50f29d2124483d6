// csv.read and jsonl.read as the engine drives them, without Temporal: batches, bad records with
// their lines, and the cursor: a read resumed from any batch's cursor yields exactly the rest.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { csv } from '../../connectors/csv/index.js';
import { csvReadConfig } from '../../connectors/csv/schema.js';
import { jsonl } from '../../connectors/jsonl/index.js';
import { jsonlReadConfig } from '../../connectors/jsonl/schema.js';
import type { SourceBatch, SourceContext, SourceNodeType } from '../../src/kit/contract.js';
import { ConfigError, DataError } from '../../src/kit/errors.js';
import { createLogger } from '../../src/log.js';

const csvRead = csv.nodes.find((n) => n.verb === 'read') as SourceNodeType;
const jsonlRead = jsonl.nodes.find((n) => n.verb === 'read') as SourceNodeType;
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-files-read-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function context(cursor?: unknown): SourceContext {
  return {
    runId: 'run',
    pipeline: 'p',
    nodeId: 'n',
    attempt: 1,
    log: createLogger('silent'),
    signal: new AbortController().signal,
    cursor,
    state: undefined,
    setState: () => undefined,
  };
}

async function readAll(node: SourceNodeType, config: unknown, cursor?: unknown): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  for await (const batch of node.read(config, context(cursor))) out.push(batch);
  return out;
}

function write(name: string, text: string, gzip = false): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, gzip ? zlib.gzipSync(text) : text);
  return file;
}

const rowsOf = (batches: SourceBatch[]) => batches.flatMap((b) => b.rows);
const badOf = (batches: SourceBatch[]) => batches.flatMap((b) => b.bad ?? []);

describe('csv.read', () => {
  test('reads typed values exactly: numerics and timestamps as written, null vs empty text, json parsed', async () => {
    const file = write('typed.csv', '\uFEFFid,amount,ok,at,meta,note\n1,12.50,true,2024-01-02 03:04:05.123456+00,"{""a"":[1,2]}",""\n2,,f,2024-02-29T00:00:00Z,,\n');
    const config = csvReadConfig.parse({ path: file, types: { id: 'int', amount: 'numeric', ok: 'boolean', at: 'timestamp', meta: 'json' } });
    const batches = await readAll(csvRead, config);
    assert.deepEqual(batches[0]!.schema, [
      { name: 'id', type: 'int' },
      { name: 'amount', type: 'numeric' },
      { name: 'ok', type: 'boolean' },
      { name: 'at', type: 'timestamp' },
      { name: 'meta', type: 'json' },
      { name: 'note', type: 'text' },
    ]);
    assert.deepEqual(rowsOf(batches), [
      { id: 1, amount: '12.50', ok: true, at: '2024-01-02 03:04:05.123456+00', meta: { a: [1, 2] }, note: '' },
      { id: 2, amount: null, ok: false, at: '2024-02-29T00:00:00Z', meta: null, note: null },
    ]);
  });

  test('records with the wrong field count or unreadable values become bad records with file and line', async () => {
    const file = write('bad.csv', 'id,n\n1,2\n3\n4,x\n5,"a"b\n6,6\n');
    const batches = await readAll(csvRead, csvReadConfig.parse({ path: file, types: { n: 'int' } }));
    assert.deepEqual(rowsOf(batches), [
      { id: '1', n: 2 },
      { id: '6', n: 6 },
    ]);
    assert.deepEqual(badOf(batches), [
      { reason: 'expected 2 fields, found 1', position: 'bad.csv line 3', record: '3' },
      { reason: 'column "n": cannot read "x" as int', position: 'bad.csv line 4', record: '4,x' },
      { reason: 'unexpected "b" after the closing quote of field 2', position: 'bad.csv line 5', record: '5,"a"b' },
    ]);
  });

  test('a directory is read in name order; each file header may order the columns differently', async () => {
    write('dir/b.csv', 'y,x\n4,3\n');
    write('dir/a.csv.gz', 'x,y\n1,2\n', true);
    write('dir/_SUCCESS', '{}');
    write('dir/.part-00000.csv.tmp', 'garbage');
    const rows = rowsOf(await readAll(csvRead, csvReadConfig.parse({ path: path.join(dir, 'dir') })));
    assert.deepEqual(rows, [
      { x: '1', y: '2' },
      { x: '3', y: '4' },
    ]);
  });

  test('a file whose header names other columns than the first file fails with both lists', async () => {
    write('mixed/a.csv', 'x,y\n1,2\n');
    write('mixed/b.csv', 'x,z\n1,2\n');
    await assert.rejects(readAll(csvRead, csvReadConfig.parse({ path: path.join(dir, 'mixed/*.csv') })), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.equal(err.message, 'b.csv line 1: its columns (x, z) differ from those of the first file (x, y)');
      return true;
    });
  });

  test('without a header, config.columns names the fields', async () => {
    const file = write('noheader.csv', '1;a\n2;b\n');
    const rows = rowsOf(await readAll(csvRead, csvReadConfig.parse({ path: file, header: false, columns: ['n', 's'], delimiter: ';' })));
    assert.deepEqual(rows, [
      { n: '1', s: 'a' },
      { n: '2', s: 'b' },
    ]);
    const result = csvReadConfig.safeParse({ path: file, header: false });
    assert.equal(result.success, false);
    assert.deepEqual(result.error!.issues.map((i) => [i.path.join('.'), i.message]), [['columns', 'required when header is false (the file has no column names)']]);
  });

  test('a types entry for a column the header lacks is a config error naming config.types.<column>', async () => {
    const file = write('t.csv', 'a,b\n1,2\n');
    await assert.rejects(readAll(csvRead, csvReadConfig.parse({ path: file, types: { c: 'int' } })), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, 'config.types.c: no such column in t.csv (columns: a, b)');
      return true;
    });
  });
});

/** 40 records over two files, with a multi-line quoted field and a bad line in each. */
function csvFixture(gzip: boolean): string {
  const sub = `resume-csv-${gzip}`;
  for (const [f, first] of [['one.csv', 0], ['two.csv', 20]] as const) {
    let text = 'n,s\n';
    for (let i = first; i < first + 20; i++) text += i % 7 === 3 ? `${i},"multi\nline, ${i}"\n` : i % 9 === 5 ? `${i}\n` : `${i},s${i}\n`;
    write(`${sub}/${f}${gzip ? '.gz' : ''}`, text, gzip);
  }
  return path.join(dir, sub);
}

function jsonlFixture(gzip: boolean): string {
  const sub = `resume-jsonl-${gzip}`;
  for (const [f, first] of [['one.jsonl', 0], ['two.jsonl', 20]] as const) {
    let text = '';
    for (let i = first; i < first + 20; i++) text += i % 9 === 5 ? `{broken ${i}\n` : i % 11 === 4 ? '\n' : `{"n":${i},"s":"é${i}"}\r\n`;
    write(`${sub}/${f}${gzip ? '.gz' : ''}`, text, gzip);
  }
  return path.join(dir, sub);
}

for (const gzip of [false, true]) {
  for (const [name, node, configOf] of [
    ['csv', csvRead, (p: string) => csvReadConfig.parse({ path: p, batchSize: 3 })],
    ['jsonl', jsonlRead, (p: string) => jsonlReadConfig.parse({ path: p, batchSize: 3 })],
  ] as const) {
    test(`${name}.read${gzip ? ' (gzip)' : ''} resumed from any batch's cursor yields exactly the records after it`, async () => {
      const config = configOf(name === 'csv' ? csvFixture(gzip) : jsonlFixture(gzip));
      const full = await readAll(node, config);
      const all = full.flatMap((b) => [...b.rows.map((r) => ({ r })), ...(b.bad ?? []).map((x) => ({ x }))]);
      assert.ok(badOf(full).length >= 2, 'the fixture has bad records');
      assert.ok(full.every((b) => b.rows.length + (b.bad?.length ?? 0) <= 3), 'no batch is larger than batchSize');
      let seen = 0;
      for (const [i, batch] of full.entries()) {
        seen += batch.rows.length + (batch.bad?.length ?? 0);
        const rest = await readAll(node, config, batch.cursor);
        const restItems = rest.flatMap((b) => [...b.rows.map((r) => ({ r })), ...(b.bad ?? []).map((x) => ({ x }))]);
        assert.deepEqual(restItems, all.slice(seen), `resumed after batch ${i}`);
      }
    });
  }
}

describe('jsonl.read', () => {
  test('malformed lines become bad records with their line; the schema is typed fields then fields of the first batch', async () => {
    const file = write('events.jsonl', '{"id":1,"at":"2024-01-01T00:00:00Z","tags":["a"]}\n[1,2]\n{"id":"x"}\n\n{"id":2,"extra":1.5,\n{"id":3,"extra":2}\n');
    const batches = await readAll(jsonlRead, jsonlReadConfig.parse({ path: file, types: { id: 'bigint' } }));
    assert.deepEqual(batches[0]!.schema, [
      { name: 'id', type: 'bigint' },
      { name: 'at', type: 'text' },
      { name: 'tags', type: 'json' },
      { name: 'extra', type: 'bigint' },
    ]);
    assert.deepEqual(rowsOf(batches), [
      { id: '1', at: '2024-01-01T00:00:00Z', tags: ['a'] },
      { id: '3', extra: '2' },
    ]);
    const bad = badOf(batches);
    assert.deepEqual(
      bad.map((b) => [b.position, b.record]),
      [
        ['events.jsonl line 2', '[1,2]'],
        ['events.jsonl line 3', '{"id":"x"}'],
        ['events.jsonl line 5', '{"id":2,"extra":1.5,'],
      ],
    );
    assert.equal(bad[0]!.reason, 'expected a JSON object, found an array');
    assert.equal(bad[1]!.reason, 'field "id": cannot read "x" as bigint');
    assert.match(bad[2]!.reason, /^invalid JSON: /);
  });

  test('gzip is detected from the content, whatever the file name; forcing it on a plain file is a data error', async () => {
    const file = write('looks-plain.jsonl', '{"a":1}\n', true);
    assert.deepEqual(rowsOf(await readAll(jsonlRead, jsonlReadConfig.parse({ path: file }))), [{ a: '1' }], 'JSON integers are bigint: exact decimal text');
    const plain = write('plain.jsonl', '{"a":1}\n');
    await assert.rejects(readAll(jsonlRead, jsonlReadConfig.parse({ path: plain, gzip: true })), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.match(err.message, /^plain\.jsonl: not readable as gzip/);
      return true;
    });
  });

  test('an empty file gives one empty batch with the typed schema', async () => {
    const file = write('empty.jsonl', '');
    const batches = await readAll(jsonlRead, jsonlReadConfig.parse({ path: file, types: { a: 'int' } }));
    assert.deepEqual(batches, [{ rows: [], bad: [], cursor: undefined, schema: [{ name: 'a', type: 'int' }] }]);
  });
});

describe('file sources: paths and changed files', () => {
  test('a path that does not exist or matches nothing is a config error naming config.path', async () => {
    const missing = path.join(dir, 'nope.csv');
    await assert.rejects(readAll(csvRead, csvReadConfig.parse({ path: missing })), new ConfigError(`config.path: ${missing}: does not exist`));
    await assert.rejects(readAll(jsonlRead, jsonlReadConfig.parse({ path: path.join(dir, 'zz-*.jsonl') })), new ConfigError(`config.path: no file matches ${path.join(dir, 'zz-*.jsonl')}`));
    await assert.rejects(csvRead.check!(csvReadConfig.parse({ path: missing }), context()), /config\.path: .*nope\.csv: does not exist/);
  });

  test('resuming into a file that changed since the cursor was saved is a data error, not silently wrong rows', async () => {
    const file = write('changing.csv', 'a\n1\n2\n3\n');
    const batches = await readAll(csvRead, csvReadConfig.parse({ path: file, batchSize: 1 }));
    const cursor = batches[1]!.cursor;
    fs.writeFileSync(file, 'a\n10\n2\n3\n');
    await assert.rejects(readAll(csvRead, csvReadConfig.parse({ path: file, batchSize: 1 }), cursor), /changing\.csv changed since the read stopped at byte 6: that byte is no longer at the end of a line/);
    fs.writeFileSync(file, 'a\n');
    await assert.rejects(readAll(csvRead, csvReadConfig.parse({ path: file, batchSize: 1 }), cursor), /it is now only 2 bytes long/);
    fs.rmSync(file);
    write('changing2.csv', 'a\n1\n');
    await assert.rejects(readAll(csvRead, csvReadConfig.parse({ path: path.join(dir, 'changing*.csv') }), cursor), /changing\.csv, which was being read when the node stopped, is no longer in config\.path/);
  });
});
