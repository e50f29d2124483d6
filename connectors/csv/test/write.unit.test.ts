// csv.write as the engine drives it, without Temporal: one file per part under a name fixed by the
// part number, complete or absent, a _SUCCESS manifest, and round trips through csv.read.
// (jsonl.write: connectors/jsonl/test/write.unit.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { csv } from '../index.js';
import { csvReadConfig, csvWriteConfig } from '../schema.js';
import { jsonl } from '../../jsonl/index.js';
import { jsonlWriteConfig } from '../../jsonl/schema.js';
import type { SinkNodeType, SourceNodeType } from '../../../src/kit/contract.js';
import { ConfigError } from '../../../src/kit/errors.js';
import type { ColumnSchema, Row } from '../../../src/kit/dataset.js';
import { ROWS, SCHEMA, listing, sinkContext } from '../../../test/helpers/files.js';

const csvWrite = csv.nodes.find((n) => n.verb === 'write') as SinkNodeType;
const csvRead = csv.nodes.find((n) => n.verb === 'read') as SourceNodeType;
const jsonlWrite = jsonl.nodes.find((n) => n.verb === 'write') as SinkNodeType;
let root: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-csv-write-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('csv.write writes one file per part with exact values, null as empty and "" quoted, json as JSON text', async () => {
  const dir = path.join(root, 'csv');
  const writer = await csvWrite.open(csvWriteConfig.parse({ path: dir }), sinkContext());
  await writer.write(0, ROWS.slice(0, 2));
  await writer.write(1, ROWS.slice(2));
  const out = await writer.finish({ batches: 2, rows: 3 });
  await writer.close();
  assert.deepEqual(out, { path: dir, files: 2 });
  assert.deepEqual(listing(dir), ['_SUCCESS', 'part-000000.csv', 'part-000001.csv']);
  assert.equal(
    fs.readFileSync(path.join(dir, 'part-000000.csv'), 'utf8'),
    'id,name,amount,at,meta,ok\n1,"Smith, ""Jo""",12.50,2024-01-02 03:04:05.123456+00,"{""a"":[1,""x,y""]}",true\n2,"",,,,false\n',
  );
  assert.equal(fs.readFileSync(path.join(dir, 'part-000001.csv'), 'utf8'), 'id,name,amount,at,meta,ok\n3,"line\nbreak ✓",-0.001,2024-02-29T00:00:00Z,"[1,2]",\n');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, '_SUCCESS'), 'utf8'));
  assert.deepEqual(manifest, { format: 'csv', gzip: false, rows: 3, files: ['part-000000.csv', 'part-000001.csv'], schema: SCHEMA, runId: 'run-1', nodeId: 'out' });
});
test('a batch written again replaces its file: same name, same bytes, no second copy and no temp file', async () => {
  const dir = path.join(root, 'retry');
  const config = csvWriteConfig.parse({ path: dir, gzip: true });
  const first = await csvWrite.open(config, sinkContext());
  await first.write(0, ROWS);
  const before = fs.readFileSync(path.join(dir, 'part-000000.csv.gz'));
  // A second attempt (a retry after a crash) opens its own writer and writes the same part.
  const second = await csvWrite.open(config, sinkContext());
  await second.write(0, ROWS);
  await second.finish({ batches: 1, rows: 3 });
  assert.deepEqual(listing(dir), ['_SUCCESS', 'part-000000.csv.gz']);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'part-000000.csv.gz')), before, 'gzip output is deterministic');
  assert.match(zlib.gunzipSync(before).toString(), /^id,name/);
});
test('values JSON cannot spell (NaN, JavaScript bigint) are written as text instead of failing or turning null', async () => {
  const schema: ColumnSchema[] = [
    { name: 'f', type: 'float' },
    { name: 'b', type: 'bigint' },
    { name: 'j', type: 'json' },
  ];
  const row = { f: NaN, b: 12n, j: { big: 9007199254740993n } };
  const jl = path.join(root, 'odd-jsonl');
  const cs = path.join(root, 'odd-csv');
  for (const [node, config] of [
    [jsonlWrite, jsonlWriteConfig.parse({ path: jl })],
    [csvWrite, csvWriteConfig.parse({ path: cs })],
  ] as const) {
    const writer = await node.open(config, sinkContext(schema));
    await writer.write(0, [row]);
    await writer.finish({ batches: 1, rows: 1 });
  }
  assert.equal(fs.readFileSync(path.join(jl, 'part-000000.jsonl'), 'utf8'), '{"f":"NaN","b":"12","j":{"big":"9007199254740993"}}\n');
  assert.equal(fs.readFileSync(path.join(cs, 'part-000000.csv'), 'utf8'), 'f,b,j\nNaN,12,"{""big"":""9007199254740993""}"\n');
});
test('csv.write then csv.read gives back the same rows, null and "" included', async () => {
  const dir = path.join(root, 'roundtrip');
  const writer = await csvWrite.open(csvWriteConfig.parse({ path: dir, delimiter: ';' }), sinkContext());
  await writer.write(0, ROWS);
  await writer.finish({ batches: 1, rows: 3 });
  const types = Object.fromEntries(SCHEMA.map((c) => [c.name, c.type]));
  const read: Row[] = [];
  const ctx = { ...sinkContext(), cursor: undefined, state: undefined, setState: () => undefined };
  for await (const b of csvRead.read(csvReadConfig.parse({ path: dir, delimiter: ';', types }), ctx)) read.push(...b.rows);
  assert.deepEqual(read, ROWS);
});
test('check and open say clearly when config.path cannot be a directory', async () => {
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, 'x');
  const config = csvWriteConfig.parse({ path: path.join(file, 'out') });
  await assert.rejects(csvWrite.check!(config, sinkContext()), new ConfigError(`config.path: ${file} is not a directory (${path.join(file, 'out')} does not exist and would be created under it)`));
  await assert.rejects(csvWrite.open(config, sinkContext()), (err: unknown) => err instanceof ConfigError && err.message.startsWith(`config.path: cannot create directory ${path.join(file, 'out')}: `));
  await csvWrite.check!(csvWriteConfig.parse({ path: path.join(root, 'fresh', 'deeper') }), sinkContext());
  assert.ok(!fs.existsSync(path.join(root, 'fresh')), 'check creates nothing');
});
