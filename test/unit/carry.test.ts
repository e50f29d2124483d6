import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packNode, unpackNode, type CarriedNode } from '../../src/workflows/carry.js';

const node = (over: Partial<CarriedNode> = {}): CarriedNode => ({
  state: 'succeeded',
  skip: null,
  attempt: 2,
  startedAt: '2026-11-30T10:00:00.000Z',
  endedAt: '2026-11-30T10:00:01.250Z',
  executions: 3,
  stats: { rowsIn: 10, rowsOut: 9, badRows: 1 },
  error: null,
  outputs: { dataset: { uri: 'file:///x', rows: 9 } },
  earlierTries: [],
  map: null,
  ...over,
});

test('a carried node unpacks to what was packed', () => {
  for (const n of [
    node(),
    node({ state: 'failed', error: 'boom', outputs: null, earlierTries: [{ state: 'failed', attempt: 1, startedAt: null, endedAt: null, error: 'x', stats: { rowsIn: 0, rowsOut: 0 } }] }),
    node({ state: 'skipped', skip: 'when', attempt: 0, startedAt: null, endedAt: null, executions: 0, stats: { rowsIn: 0, rowsOut: 0 }, outputs: null }),
    node({ state: 'skipped', skip: 'upstream', attempt: 0, startedAt: null, endedAt: null, executions: 0, stats: { rowsIn: 0, rowsOut: 0 }, outputs: null }),
    node({ state: 'cancelled', outputs: null }),
    node({ state: 'failed', outputs: null, map: { items: 1500, chunks: [{ chunk: 0, items: 1000, byState: { succeeded: 1000 }, rowsIn: 0, rowsOut: 0, failures: [], bytes: 900 }, null] } }),
  ]) {
    assert.deepEqual(unpackNode(packNode(n)), n);
  }
});

test('a node not yet run packs to one letter, and running or paused ones carry as pending', () => {
  const pending = node({ state: 'pending', attempt: 0, startedAt: null, endedAt: null, executions: 0, stats: { rowsIn: 0, rowsOut: 0 }, outputs: null });
  assert.deepEqual(packNode(pending), ['p']);
  assert.equal(unpackNode(packNode(node({ state: 'paused' }))).state, 'pending');
});

test('the carry of 10,000 finished no-op nodes is far below the 2 MiB payload limit', () => {
  const nodes = Array.from({ length: 10_000 }, () => packNode(node({ stats: { rowsIn: 0, rowsOut: 0 }, outputs: null })));
  const bytes = JSON.stringify(nodes).length;
  assert.ok(bytes < 512 * 1024, `${bytes} bytes`);
});
