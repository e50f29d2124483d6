// Shared by the csv.read and jsonl.read pause tests: lines whose fields are known by their number,
// and a run paused mid-read, checked while paused, resumed and checked line by line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { PipelineSpec } from '../../src/dag/spec.js';
import type { DatasetRef } from '../../src/kit/dataset.js';
import type { RunProgress } from '../../src/workflows/messages.js';
import type { ConnectorTestEnv } from './connector.js';
import { waitFor } from './env.js';
import { progressOf, startRun } from './pipelines.js';

/** Lines per batch of the paused reads. */
export const BATCH = 500;
/** Fields of line i of the input. */
export const label = (i: number) => (i % 10 === 0 ? `with, comma "and quotes" ${i}` : `row ${i} ✓`);
export const amount = (i: number) => `${i}.${String(i % 100).padStart(2, '0')}`;

/** Starts `s`, pauses it once its read has staged some batches, checks it stays put, resumes it. */
export async function pauseMidReadAndResume(env: ConnectorTestEnv, s: PipelineSpec, rows: number): Promise<RunProgress> {
  const handle = await startRun(env.client, env.taskQueue, s);
  // Progress shows a running node's counts only once it stops; its staged parts show them now.
  const staged = () => {
    const out = path.join(env.worker.stagingDir, handle.workflowId, 'extract');
    return fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f.startsWith('part-')).length : 0;
  };
  await waitFor(async () => staged() >= 10, 'the read to stage its first batches', 60_000);
  await handle.signal('pause');
  const paused = await waitFor(async () => {
    const p = await progressOf(handle);
    // The run reports paused at once; the node, once it has stopped at a batch boundary.
    return p.status === 'paused' && p.nodes.extract!.state !== 'running' ? p : null;
  }, 'the read to stop');
  assert.equal(paused.nodes.extract!.state, 'paused', 'the read was paused before it finished');
  const atPause = paused.nodes.extract!.stats.rowsOut;
  assert.ok(atPause > 0 && atPause < rows, `paused mid-read (${atPause} of ${rows} lines staged)`);
  assert.equal(atPause % BATCH, 0, 'stopped at a batch boundary');
  assert.equal(staged(), atPause / BATCH, 'the checkpoint counts exactly the parts staged');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(staged(), atPause / BATCH, 'nothing is read while paused');
  assert.equal((await progressOf(handle)).nodes.extract!.stats.rowsOut, atPause);

  await handle.signal('resume');
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const dataset = result.nodes.extract!.outputs!.dataset as DatasetRef;
  assert.deepEqual({ rows: dataset.rows, parts: dataset.parts }, { rows, parts: rows / BATCH }, 'every batch staged once, none twice');
  const all = await env.stagedRows(dataset);
  assert.equal(all.length, rows);
  const wrong = all.filter((r, i) => r.id !== i + 1 || r.label !== label(i + 1) || r.amount !== amount(i + 1));
  assert.deepEqual(wrong.slice(0, 3), [], 'row i of the dataset is line i of the file');
  return result;
}
