// Replays recorded histories against the current workflow code: a change that would make a
// running pipeline non-deterministic fails here (regenerate with `npm run record-histories`
// only after guarding the change with patched()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { workflowBundle } from './helpers/worker.js';

const dir = path.join(import.meta.dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('recorded histories exist for the main paths of runPipeline and runMapChunk', () => {
  assert.deepEqual(files, [
    'cancelled.json',
    'concurrency-cancelled.json',
    'concurrency-queued.json',
    'continue-then-close.json',
    'diamond.json',
    'etl-pause-resume.json',
    'mapped-chunk.json',
    'mapped.json',
    'node-fails.json',
    'retry-in-place.json',
    'retry-then-succeed.json',
    'segments.json',
  ]);
});

test('the segments history is the last execution of a run that continued as new, starting from carried node states', () => {
  const events = (JSON.parse(fs.readFileSync(path.join(dir, 'segments.json'), 'utf8')) as { events: Record<string, any>[] }).events;
  const [input, carry] = events[0]!.workflowExecutionStartedEventAttributes.input.payloads.map((p: { data: string }) => JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')));
  assert.equal(input.spec.nodes.length, 200, 'the spec is the first argument');
  assert.ok(carry.segments >= 1, 'the carry, the second, says it continued from an earlier execution');
  assert.equal(carry.nodes.length, 200);
  assert.ok(carry.nodes.some((n: string[]) => n[0] === 's'), 'with nodes that succeeded before');
});

test('the retry-in-place history holds the retry update and the patch marker that guards it; runs recorded before it have none', () => {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { events: Record<string, unknown>[] };
  const kinds = (f: string) => read(f).events.map((e) => String(e.eventType));
  assert.ok(kinds('retry-in-place.json').includes('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED'));
  assert.ok(kinds('retry-in-place.json').includes('EVENT_TYPE_MARKER_RECORDED'));
  assert.ok(!kinds('node-fails.json').includes('EVENT_TYPE_MARKER_RECORDED'), 'node-fails was recorded before retry in place');
});

/** The patch ids recorded in a history's markers. */
function patches(file: string): string[] {
  const events = (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { events: { markerRecordedEventAttributes?: { details?: Record<string, { payloads: { data: string }[] }> } }[] }).events;
  return events.flatMap((e) => (e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? []).map((p) => (JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')) as { id: string }).id));
}

test('the concurrency histories wait for a slot behind the patch that guards it; runs without concurrency never ask for it', () => {
  for (const file of ['concurrency-queued.json', 'concurrency-cancelled.json']) {
    assert.ok(patches(file).includes('concurrency-slots'), file);
    const types = (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[] }).events
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((t) => t !== undefined);
    assert.equal(types[0], 'sluice.acquireSlot', `${file}: the slot comes before any node`);
    assert.equal(types.at(-1), 'sluice.releaseSlot', `${file}: and is given back last`);
  }
  for (const file of files.filter((f) => !f.startsWith('concurrency-'))) assert.ok(!patches(file).includes('concurrency-slots'), file);
});

for (const file of files) {
  test(`replaying ${file} with the current workflow code is deterministic`, async () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { events: { startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId: string } }[] };
    const history = historyFromJSON(json);
    assert.ok((history.events?.length ?? 0) > 5, 'a real history');
    // A run's chunk ids start with its own id (`<run>/<node>/chunk-<k>.<n>`): replay under the id it was recorded with.
    const child = json.events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)?.startChildWorkflowExecutionInitiatedEventAttributes;
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: file }, history, child?.workflowId.split('/')[0]);
  });
}

/** Every payload of a history, decoded: payload data is base64 in the JSON export. */
function decodedPayloads(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => decodedPayloads(n, out));
  else if (node && typeof node === 'object') {
    const rec = node as Record<string, unknown>;
    if (typeof rec.data === 'string' && rec.metadata) out.push(Buffer.from(rec.data, 'base64').toString('utf8'));
    Object.values(rec).forEach((v) => decodedPayloads(v, out));
  }
  return out;
}

test('a recorded ETL history carries secret names and dataset references, never secret values or rows', () => {
  const payloads = decodedPayloads(JSON.parse(fs.readFileSync(path.join(dir, 'etl-pause-resume.json'), 'utf8'))).join('\n');
  assert.match(payloads, /"\$secret":"RECORD_DB"/, 'the secret is referenced by name');
  assert.match(payloads, /"dataset":\{"uri":"file:/, 'datasets travel as references');
  assert.doesNotMatch(payloads, /postgres(ql)?:\/\//, 'no connection string');
  assert.doesNotMatch(payloads, /row \d+/, 'no row values (the source rows are labelled "row N")');
});
