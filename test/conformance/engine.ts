// Check 2b: a source run by the real engine on a real Temporal server, paused mid-read with the
// pause signal and resumed, stages every row exactly once. To catch any source mid-read without a
// hook in the connector, the worker stages into S3 (s3rver) and each of the run's part uploads is
// held back a little: the read then lasts several seconds whatever the source, and the pause
// always lands between parts. The staged dataset is read back with the engine's StagingStore.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatasetRef, Row } from '../../src/kit/index.js';
import { StagingStore } from '../../src/activities/staging.js';
import type { RunProgress } from '../../src/workflows/messages.js';
import { temporalEnv, uniqueName, waitFor } from '../helpers/env.js';
import { progressOf, spec, startRun } from '../helpers/pipelines.js';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3 } from '../helpers/s3.js';
import { startWorker } from '../helpers/worker.js';

/** About how long the slowed read takes: a pause (delivered with the next heartbeat, within ~2s) lands well before its end. */
const SLOW_READ_MS = 8_000;
const NODE = 'extract';

/** Runs `type` with `config` on a fresh worker, pauses it after its first staged part, resumes it, and checks the staged rows. */
export async function assertPauseResume(type: string, config: unknown, secrets: Record<string, string>, expected: readonly Row[], parts: number): Promise<void> {
  const env = await temporalEnv();
  const s3 = await startS3();
  const stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-conformance-'));
  const closers: (() => Promise<unknown>)[] = [env.close, s3.stop, async () => fs.rmSync(stagingDir, { recursive: true, force: true })];
  try {
    const bucket = await s3.bucket(uniqueName('staging'));
    const taskQueue = uniqueName('conformance');
    const worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, stagingDir, env: { ...process.env, ...secrets, ...s3.stagingEnv(`s3://${bucket}/staging/`) } });
    closers.unshift(worker.stop);

    const s = spec({ name: uniqueName('conformance'), nodes: [{ id: NODE, type, config }] });
    const delayMs = Math.ceil(SLOW_READ_MS / parts);
    const unslow = s3.inject({ match: new RegExp(`^PUT /${bucket}/staging/[^/]+/${NODE}/part-`), delayMs });
    const handle = await startRun(env.client, taskQueue, s);
    const prefix = `staging/${handle.workflowId}/${NODE}/part-`;
    const staged = async () => (await s3.keys(bucket, prefix)).length;

    await waitFor(async () => (await staged()) >= 1, `${type} to stage its first part`, 60_000);
    await handle.signal('pause');
    const stopped = await waitFor(async () => {
      const p = await progressOf(handle);
      const state = p.nodes[NODE]!.state;
      return state !== 'running' && state !== 'pending' ? p : null;
    }, `${type} to stop after the pause`);
    assert.equal(stopped.nodes[NODE]!.state, 'paused', `${type}: the pause reached the read before it finished (it ended ${stopped.nodes[NODE]!.state})`);
    const atPause = stopped.nodes[NODE]!.stats.rowsOut;
    assert.ok(atPause > 0 && atPause < expected.length, `${type}: paused mid-read (${atPause} of ${expected.length} rows staged)`);
    const partsAtPause = await staged();
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await staged(), partsAtPause, `${type}: nothing is staged while paused`);

    unslow();
    await handle.signal('resume');
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed', `${type}: the resumed run completes`);
    const dataset = result.nodes[NODE]!.outputs!.dataset as DatasetRef;
    assert.equal(dataset.rows, expected.length, `${type}: the dataset counts every row once`);

    const store = new StagingStore(stagingDir, { s3: { endpoint: s3.endpoint, credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY } } });
    try {
      const rows: Row[] = [];
      for (let part = 0; part < dataset.parts; part++) rows.push(...(await store.readPart(dataset, part)));
      assert.equal(rows.length, expected.length, `${type}: the staged dataset holds ${expected.length} rows`);
      assert.deepEqual(rows, expected, `${type}: the staged dataset holds every source row exactly once, in order`);
    } finally {
      store.close();
    }
  } finally {
    for (const close of closers) await close();
  }
}
