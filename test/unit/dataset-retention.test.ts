// Staging retention on a local store: runs whose newest file is older than the retention are
// removed; fresh runs, and old runs still being written, are kept.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StagingStore } from '../../src/activities/staging.js';
import { type ColumnSchema } from '../../src/kit/dataset.js';
import { sweepStaging } from '../../src/activities/staging/retention.js';
import { stagingSettings } from '../../src/activities/staging/from-env.js';

const DAY = 86_400_000;
const SCHEMA: ColumnSchema[] = [{ name: 'id', type: 'int' }];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-retention-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Sets the modification time of everything under `p` (and `p` itself). */
function age(p: string, when: Date): void {
  if (fs.statSync(p).isDirectory()) for (const name of fs.readdirSync(p)) age(path.join(p, name), when);
  fs.utimesSync(p, when, when);
}

test('a sweep removes runs older than the retention and keeps fresh runs, runs still being written, and folders it did not write', async () => {
  const store = new StagingStore(root);
  const write = async (run: string, node: string, part: number) => {
    const loc = store.datasetDir(run, node);
    await store.writePart(loc, part, [{ id: part }], SCHEMA);
    return fileURLToPath(loc);
  };
  const old = path.dirname(await write('run-old', 'extract', 0));
  await write('run-old', 'load', 0);
  // A COPY text part (and a linked copy of it, as a rename-only map makes) is a staging file too.
  await store.writeEncodedPart(store.datasetDir('run-old', 'copied'), 0, 'pgcopy', Buffer.from('1\n'));
  await store.copyPart({ uri: store.datasetDir('run-old', 'copied'), rows: 1, bytes: 2, parts: 1, schema: SCHEMA, format: 'pgcopy' }, 0, store.datasetDir('run-old', 'renamed'));
  await write('run-fresh', 'extract', 0);
  const writing = path.dirname(await write('run-writing', 'extract', 0));
  const tenDaysAgo = new Date(Date.now() - 10 * DAY);
  age(old, tenDaysAgo);
  age(writing, tenDaysAgo);
  // The long-running run wrote its latest part just now, deep inside an old folder.
  await write('run-writing', 'extract', 1);
  // Files and folders the store did not write are none of the sweeper's business, however old.
  fs.writeFileSync(path.join(root, 'README'), 'not a run');
  fs.mkdirSync(path.join(root, 'photos', 'n'), { recursive: true });
  fs.writeFileSync(path.join(root, 'photos', 'n', 'cat.jpg'), 'meow');
  await write('mixed', 'extract', 0);
  fs.writeFileSync(path.join(root, 'mixed', 'extract', 'notes.txt'), 'mine');
  for (const p of ['README', 'photos', 'mixed']) age(path.join(root, p), tenDaysAgo);

  const result = await sweepStaging(store, 7 * DAY);
  assert.deepEqual(result, { removed: ['run-old'], kept: 2 });
  assert.deepEqual(fs.readdirSync(root).sort(), ['README', 'mixed', 'photos', 'run-fresh', 'run-writing']);
  assert.deepEqual(fs.readdirSync(path.join(root, 'run-writing', 'extract')).sort(), ['part-000000.avro', 'part-000001.avro']);

  // Eight days on, everything here is past a 7-day retention.
  const later = await sweepStaging(store, 7 * DAY, Date.now() + 8 * DAY);
  assert.deepEqual(later.removed.sort(), ['run-fresh', 'run-writing']);
});

test('a sweep of a store that does not exist yet removes nothing', async () => {
  assert.deepEqual(await sweepStaging(new StagingStore(path.join(root, 'not-yet')), DAY), { removed: [], kept: 0 });
});

test('SLUICE_STAGING_RETENTION takes durations like 12h and 7d, defaults to 7 days, and names the variable when wrong', () => {
  assert.equal(stagingSettings({}).retentionMs, 7 * DAY);
  assert.equal(stagingSettings({ SLUICE_STAGING_RETENTION: '12h' }).retentionMs, DAY / 2);
  assert.throws(() => stagingSettings({ SLUICE_STAGING_RETENTION: 'a week' }), /SLUICE_STAGING_RETENTION: expected a duration like 12h or 7d/);
  assert.throws(() => stagingSettings({ SLUICE_STAGING_URL: 'http://bucket' }), /SLUICE_STAGING_URL: expected s3:\/\/bucket or s3:\/\/bucket\/prefix/);
  assert.throws(
    () => stagingSettings({ SLUICE_S3_ACCESS_KEY_ID: 'AKIA-ONLY-THE-ID' }),
    (err: Error) => /set both SLUICE_S3_ACCESS_KEY_ID and SLUICE_S3_SECRET_ACCESS_KEY/.test(err.message) && !err.message.includes('AKIA-ONLY-THE-ID'),
  );
});
