// jsonl.write as the engine drives it, without Temporal: objects in schema order with exact values,
// a rerun that clears what an earlier run left, and a round trip through jsonl.read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { jsonl } from '../index.js';
import { jsonlReadConfig, jsonlWriteConfig } from '../schema.js';
import type { SinkNodeType, SourceNodeType } from '../../../src/kit/contract.js';
import type { ColumnSchema, Row } from '../../../src/kit/dataset.js';
import { ROWS, SCHEMA, listing, sinkContext } from '../../../test/helpers/files.js';

const jsonlWrite = jsonl.nodes.find((n) => n.verb === 'write') as SinkNodeType;
const jsonlRead = jsonl.nodes.find((n) => n.verb === 'read') as SourceNodeType;
let root: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jsonl-write-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('finish removes part files an earlier, larger run left, and a new run clears _SUCCESS until it finishes', async () => {
  const dir = path.join(root, 'rerun');
  const old = await jsonlWrite.open(jsonlWriteConfig.parse({ path: dir }), sinkContext());
  for (let i = 0; i < 3; i++) await old.write(i, ROWS);
  await old.finish({ batches: 3, rows: 9 });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not ours');
  const next = await jsonlWrite.open(jsonlWriteConfig.parse({ path: dir, gzip: true }), sinkContext());
  assert.ok(!fs.existsSync(path.join(dir, '_SUCCESS')), 'no _SUCCESS while the directory is rewritten');
  await next.write(0, ROWS.slice(0, 1));
  await next.finish({ batches: 1, rows: 1 });
  assert.deepEqual(listing(dir), ['_SUCCESS', 'notes.txt', 'part-000000.jsonl.gz']);
  assert.deepEqual(JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'part-000000.jsonl.gz'))).toString()), ROWS[0], 'the bigint id stays an exact string');
});
test('jsonl.write writes objects in schema order, bigints and numerics as exact strings', async () => {
  const dir = path.join(root, 'jsonl');
  const schema: ColumnSchema[] = [...SCHEMA, { name: 'big', type: 'bigint' }];
  const writer = await jsonlWrite.open(jsonlWriteConfig.parse({ path: dir }), sinkContext(schema));
  await writer.write(0, [{ ...ROWS[0], big: '9223372036854775807' }, { ...ROWS[1], big: null }]);
  await writer.finish({ batches: 1, rows: 2 });
  assert.equal(
    fs.readFileSync(path.join(dir, 'part-000000.jsonl'), 'utf8'),
    '{"id":"1","name":"Smith, \\"Jo\\"","amount":"12.50","at":"2024-01-02 03:04:05.123456+00","meta":{"a":[1,"x,y"]},"ok":true,"big":"9223372036854775807"}\n' +
      '{"id":"2","name":"","amount":null,"at":null,"meta":null,"ok":false,"big":null}\n',
  );
});
test('jsonl.write then jsonl.read gives back the same rows', async () => {
  const dir = path.join(root, 'roundtrip-jsonl');
  const writer = await jsonlWrite.open(jsonlWriteConfig.parse({ path: dir }), sinkContext());
  await writer.write(0, ROWS);
  await writer.finish({ batches: 1, rows: 3 });
  const read: Row[] = [];
  const ctx = { ...sinkContext(), cursor: undefined, state: undefined, setState: () => undefined };
  for await (const b of jsonlRead.read(jsonlReadConfig.parse({ path: dir }), ctx)) read.push(...b.rows);
  assert.deepEqual(read, ROWS);
});
