// csv.read as the engine drives it, without Temporal: typed values, bad records with their lines,
// directories and headers, and the cursor: a read resumed from any batch's cursor yields exactly
// the rest. (jsonl.read: connectors/jsonl/test/read.unit.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { csv } from '../index.js';
import { csvReadConfig } from '../schema.js';
import { jsonl } from '../../jsonl/index.js';
import { jsonlReadConfig } from '../../jsonl/schema.js';
import type { SourceNodeType } from '../../../src/kit/contract.js';
import { ConfigError, DataError } from '../../../src/kit/errors.js';
import { assertResumesAfterEveryBatch, badOf, readAll, rowsOf, writeFile } from '../../../test/helpers/files.js';
import { sourceContext } from '../../../test/helpers/source.js';

const csvRead = csv.nodes.find((n) => n.verb === 'read') as SourceNodeType;
const jsonlRead = jsonl.nodes.find((n) => n.verb === 'read') as SourceNodeType;
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-csv-read-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string, gzip = false) => writeFile(dir, name, text, gzip);

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
    write('dir/.part-000000.csv.tmp', 'garbage');
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

for (const gzip of [false, true]) {
  test(`csv.read${gzip ? ' (gzip)' : ''} resumed from any batch's cursor yields exactly the records after it`, async () => {
    await assertResumesAfterEveryBatch(csvRead, csvReadConfig.parse({ path: csvFixture(gzip), batchSize: 3 }));
  });
}

describe('file sources: paths and changed files', () => {
  test('a path that does not exist or matches nothing is a config error naming config.path', async () => {
    const missing = path.join(dir, 'nope.csv');
    await assert.rejects(readAll(csvRead, csvReadConfig.parse({ path: missing })), new ConfigError(`config.path: ${missing}: does not exist`));
    await assert.rejects(readAll(jsonlRead, jsonlReadConfig.parse({ path: path.join(dir, 'zz-*.jsonl') })), new ConfigError(`config.path: no file matches ${path.join(dir, 'zz-*.jsonl')}`));
    await assert.rejects(csvRead.check!(csvReadConfig.parse({ path: missing }), sourceContext()), /config\.path: .*nope\.csv: does not exist/);
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
