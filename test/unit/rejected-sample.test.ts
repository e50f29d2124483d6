// readRejectedSample on a real local staging store: a sealed dataset through its reference, the
// parts a running or failed try has written (never past its count), an instance's seal or parts,
// and a dataset whose parts retention removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StagingStore } from '../../src/activities/staging.js';
import { readRejectedSample } from '../../src/activities/rejected-sample.js';
import type { ColumnSchema } from '../../src/kit/dataset.js';

const SCHEMA: ColumnSchema[] = [
  { name: 'reason', type: 'text' },
  { name: 'position', type: 'text' },
  { name: 'record', type: 'json' },
];

/** A store holding `parts` parts of `per` bad records each under run/node/_rejected (sealed when asked). */
async function store(parts: number, per: number, seal: boolean): Promise<{ staging: StagingStore; location: string }> {
  const staging = new StagingStore(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rejected-')));
  const location = staging.datasetDir('run-1', 'node', '_rejected');
  for (let p = 0; p < parts; p++) {
    const rows = Array.from({ length: per }, (_, i) => ({ reason: `bad ${p * per + i}`, position: `part ${p} row ${i + 1}`, record: { n: p * per + i } }));
    await staging.writePart(location, p, rows, SCHEMA);
  }
  if (seal) await staging.seal(location, { rows: parts * per, bytes: 0, parts, schema: SCHEMA });
  return { staging, location };
}

test('a sealed dataset is read through its reference: the first records in order, the total and whether more follow', async () => {
  const { staging, location } = await store(3, 4, true);
  const ref = { uri: location, rows: 12, parts: 3 };
  const five = await readRejectedSample(staging, { runId: 'run-1', nodeId: 'node', limit: 5, source: { kind: 'ref', ref } });
  assert.deepEqual(five.records.map((r) => r.reason), ['bad 0', 'bad 1', 'bad 2', 'bad 3', 'bad 4']);
  assert.deepEqual(five.records[4], { reason: 'bad 4', position: 'part 1 row 1', record: { n: 4 } });
  assert.equal(five.total, 12);
  assert.equal(five.more, true);
  const all = await readRejectedSample(staging, { runId: 'run-1', nodeId: 'node', limit: 100, source: { kind: 'ref', ref } });
  assert.equal(all.records.length, 12);
  assert.equal(all.more, false);
});

test("an unfinished try's parts are read up to its count, so parts an earlier try left are never shown", async () => {
  const { staging } = await store(3, 4, false);
  const current = await readRejectedSample(staging, { runId: 'run-1', nodeId: 'node', limit: 20, source: { kind: 'parts', upTo: 6 } });
  assert.equal(current.records.length, 6);
  assert.equal(current.total, 6);
  assert.equal(current.more, false);
  const fewer = await readRejectedSample(staging, { runId: 'run-1', nodeId: 'node', limit: 2, source: { kind: 'parts', upTo: 6 } });
  assert.deepEqual(fewer.records.map((r) => r.reason), ['bad 0', 'bad 1']);
  assert.equal(fewer.more, true);
});

test("an instance is read through its seal when it has one, else its parts as found; total is null when unknown", async () => {
  const sealed = await store(2, 3, true);
  const viaSeal = await readRejectedSample(sealed.staging, { runId: 'run-1', nodeId: 'node', limit: 4, source: { kind: 'seal' } });
  assert.equal(viaSeal.total, 6);
  assert.equal(viaSeal.records.length, 4);
  const loose = await store(2, 3, false);
  const some = await readRejectedSample(loose.staging, { runId: 'run-1', nodeId: 'node', limit: 4, source: { kind: 'seal' } });
  assert.equal(some.total, null);
  assert.equal(some.more, true);
  const every = await readRejectedSample(loose.staging, { runId: 'run-1', nodeId: 'node', limit: 50, source: { kind: 'seal' } });
  assert.equal(every.total, 6);
  assert.equal(every.more, false);
  const none = await store(0, 0, false);
  assert.deepEqual(await readRejectedSample(none.staging, { runId: 'run-1', nodeId: 'node', limit: 5, source: { kind: 'seal' } }), { records: [], total: 0, more: false });
});

test('a reference whose parts retention removed says the dataset is gone', async () => {
  const { staging, location } = await store(2, 2, true);
  fs.rmSync(new URL(`${location}/part-000000.avro`));
  const gone = await readRejectedSample(staging, { runId: 'run-1', nodeId: 'node', limit: 5, source: { kind: 'ref', ref: { uri: location, rows: 4, parts: 2 } } });
  assert.deepEqual(gone.records, []);
  assert.match(gone.gone ?? '', /^part 0 of file:.* is missing: it was removed \(staging retention\)/);
});
