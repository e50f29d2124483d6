// Check 5 for tasks: a run asked to stop half-way stops promptly and hands back a checkpoint (small
// JSON, as it travels through Temporal); a run from that checkpoint, or from the last one it
// committed (what a retry after a crash gets), finishes with the same outputs in clearly less time
// than the whole.
import assert from 'node:assert/strict';
import type { TaskNodeType, TaskOutcome } from '../../src/kit/index.js';
import { newIdentity, nodeConfig, taskContext } from './context.js';
import type { TaskFixture } from './fixture.js';

/** A stop request is answered within this much. */
const STOP_WITHIN_MS = 1_000;

const roundTrip = (v: unknown): unknown => (v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown));

async function timed(node: TaskNodeType, config: unknown, checkpoint: unknown, stopAfterMs: number): Promise<{ outcome: TaskOutcome; ms: number; commits: unknown[] }> {
  const commits: unknown[] = [];
  const start = performance.now();
  const outcome = await node.run(config, taskContext(newIdentity('task'), checkpoint, () => performance.now() - start >= stopAfterMs, commits));
  return { outcome, ms: performance.now() - start, commits };
}

export async function assertTaskResumes(type: string, node: TaskNodeType, fixture: TaskFixture, secrets: Record<string, string>): Promise<void> {
  const config = nodeConfig(node.config, fixture.config, secrets);
  const whole = await timed(node, config, undefined, Infinity);
  assert.ok('outputs' in whole.outcome, `${type}: an uninterrupted run finishes with outputs`);
  assert.deepEqual(roundTrip(whole.outcome.outputs), whole.outcome.outputs, `${type}: outputs are JSON`);
  assert.ok(whole.ms >= 500, `${type}: the fixture's run lasts long enough to stop it half-way (${Math.round(whole.ms)}ms)`);

  const half = whole.ms / 2;
  const stopped = await timed(node, config, undefined, half);
  assert.ok('paused' in stopped.outcome, `${type}: a run asked to stop half-way hands back a checkpoint`);
  assert.ok(stopped.ms - half <= STOP_WITHIN_MS, `${type}: it stops within ${STOP_WITHIN_MS}ms of the request (took ${Math.round(stopped.ms - half)}ms)`);
  const checkpoint = stopped.outcome.checkpoint;
  assert.deepEqual(roundTrip(checkpoint), checkpoint, `${type}: the checkpoint is JSON`);
  assert.ok(stopped.commits.length > 0, `${type}: it commits its progress while it runs (a crash resumes from the last commit)`);
  for (const c of stopped.commits) assert.deepEqual(roundTrip(c), c, `${type}: every committed checkpoint is JSON`);

  for (const [from, cp] of [
    ['the checkpoint it handed back', checkpoint],
    ['its last committed checkpoint', stopped.commits[stopped.commits.length - 1]],
  ] as const) {
    const resumed = await timed(node, config, roundTrip(cp), Infinity);
    assert.ok('outputs' in resumed.outcome, `${type}: a run from ${from} finishes`);
    assert.deepEqual(resumed.outcome.outputs, whole.outcome.outputs, `${type}: a run from ${from} ends with the outputs of an uninterrupted run`);
    assert.ok(resumed.ms < whole.ms * 0.75, `${type}: a run from ${from} has less left to do (${Math.round(resumed.ms)}ms, the whole run ${Math.round(whole.ms)}ms)`);
  }
}
