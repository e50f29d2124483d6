// The local staging store: dataset URIs, atomic parts, sealing, and refusing datasets of another
// worker's local store with a message that says why.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/kit/errors.js';
import { StagingStore } from '../../src/activities/staging.js';
import { type ColumnSchema } from '../../src/kit/dataset.js';
import { LocalBackend } from '../../src/activities/staging/local.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-store-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const SCHEMA: ColumnSchema[] = [{ name: 'id', type: 'bigint' }, { name: 'at', type: 'timestamp' }];

test('a local dataset lives at file://<root>/<run>/<node> with numbered Avro parts and a _dataset.json seal', async () => {
  const root = tempDir();
  const store = new StagingStore(root);
  const loc = store.datasetDir('run-1', 'extract');
  assert.equal(fileURLToPath(loc), path.join(root, 'run-1', 'extract'));
  const bytes0 = await store.writePart(loc, 0, [{ id: '1', at: '2024-01-01 00:00:00.000001+00' }], SCHEMA);
  const bytes1 = await store.writePart(loc, 1, [{ id: '9223372036854775807', at: null }], SCHEMA);
  const ref = await store.seal(loc, { rows: 2, bytes: bytes0 + bytes1, parts: 2, schema: SCHEMA });
  assert.equal(ref.uri, loc);
  assert.deepEqual(fs.readdirSync(fileURLToPath(loc)).sort(), ['_dataset.json', 'part-000000.avro', 'part-000001.avro']);
  assert.equal(fs.statSync(path.join(fileURLToPath(loc), 'part-000001.avro')).size, bytes1);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(fileURLToPath(loc), '_dataset.json'), 'utf8')), ref);
  assert.deepEqual(await store.readPart(ref, 1), [{ id: '9223372036854775807', at: null }]);
  assert.deepEqual(await store.readPartAt(loc, 0), [{ id: '1', at: '2024-01-01 00:00:00.000001+00' }]);
  // Dead letters live in a folder inside the node's dataset.
  assert.equal(fileURLToPath(store.datasetDir('run-1', 'extract', '_rejected')), path.join(root, 'run-1', 'extract', '_rejected'));
});

test('rewriting a part (a retried batch) replaces it whole and leaves no temporary files', async () => {
  const store = new StagingStore(tempDir());
  const loc = store.datasetDir('run-2', 'n');
  await store.writePart(loc, 0, [{ id: '1', at: null }, { id: '2', at: null }], SCHEMA);
  await store.writePart(loc, 0, [{ id: '3', at: null }], SCHEMA);
  assert.deepEqual(await store.readPartAt(loc, 0), [{ id: '3', at: null }]);
  assert.deepEqual(fs.readdirSync(fileURLToPath(loc)), ['part-000000.avro']);
});

test('a part whose write fails leaves nothing behind: complete or absent', async () => {
  const store = new StagingStore(tempDir());
  const loc = store.datasetDir('run-3', 'n');
  await assert.rejects(store.writePart(loc, 0, [{ id: '1', at: null, extra: 1 }], SCHEMA), /field "extra"/);
  await assert.rejects(store.readPartAt(loc, 0), /dataset part 0 is missing at file:.*run-3\/n\/part-000000\.avro/);
  // A failing disk write (here: the part's name is taken by a directory) removes its temp file.
  fs.mkdirSync(path.join(fileURLToPath(loc), 'part-000001.avro'), { recursive: true });
  await assert.rejects(store.writePart(loc, 1, [{ id: '1', at: null }], SCHEMA));
  assert.deepEqual(fs.readdirSync(fileURLToPath(loc)), ['part-000001.avro']);
});

test("a worker refuses a dataset of another worker's local store with a ConfigError that says why and what to do", async () => {
  const site = new StagingStore(tempDir(), { label: 'the worker of site acme' });
  const central = new StagingStore(tempDir(), { label: 'the central worker' });
  const loc = site.datasetDir('run-4', 'extract');
  await site.writePart(loc, 0, [{ id: '1', at: null }], SCHEMA);
  const ref = await site.seal(loc, { rows: 1, bytes: 1, parts: 1, schema: SCHEMA });
  assert.deepEqual(await site.readPart(ref, 0), [{ id: '1', at: null }]);
  await assert.rejects(central.readPart(ref, 0), (err: Error) => {
    assert.ok(err instanceof ConfigError, 'not retryable: another attempt on this worker cannot read it either');
    assert.ok(err.message.startsWith(`dataset ${ref.uri} is in the local staging store of the worker that produced it, which the central worker cannot read`), err.message);
    assert.match(err.message, /run this node on the same site as its input, or give the workers a shared s3:\/\/ store \(SLUICE_STAGING_URL\)/);
    return true;
  });
  await assert.rejects(central.readPart({ ...ref, uri: 'ftp://elsewhere/x' }, 0), /unsupported URI scheme/);
});

test('run and node ids cannot climb out of the store', () => {
  const store = new StagingStore(tempDir());
  for (const bad of ['..', '.', '', 'a/b', 'a\\b']) {
    assert.throws(() => store.datasetDir(bad, 'node'), /invalid dataset path segment/);
  }
  assert.equal(new LocalBackend('/tmp/x').pathOf('file:///tmp/x/../y/part'), null);
  assert.equal(new LocalBackend('/tmp/x').pathOf('file:///tmp/xy/part'), null);
  assert.equal(new LocalBackend('/tmp/x').pathOf('file:///tmp/x/r/n/part'), '/tmp/x/r/n/part');
});
