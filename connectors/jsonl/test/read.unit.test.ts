// jsonl.read as the engine drives it, without Temporal: malformed lines as bad records with their
// lines, the schema, gzip, and the cursor: a read resumed from any batch's cursor yields exactly the rest.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonl } from '../index.js';
import { jsonlReadConfig } from '../schema.js';
import type { SourceNodeType } from '../../../src/kit/contract.js';
import { DataError } from '../../../src/kit/errors.js';
import { assertResumesAfterEveryBatch, badOf, readAll, rowsOf, writeFile } from '../../../test/helpers/files.js';

const jsonlRead = jsonl.nodes.find((n) => n.verb === 'read') as SourceNodeType;
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jsonl-read-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string, gzip = false) => writeFile(dir, name, text, gzip);

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
  test(`jsonl.read${gzip ? ' (gzip)' : ''} resumed from any batch's cursor yields exactly the records after it`, async () => {
    await assertResumesAfterEveryBatch(jsonlRead, jsonlReadConfig.parse({ path: jsonlFixture(gzip), batchSize: 3 }));
  });
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
