import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findCycle, nextActions, topoOrder, upstreamClosure, type NodeState } from '../../src/dag/plan.js';

// a -> b, c -> d: b and c need a, d needs both.
const diamond = [
  { id: 'a', needs: [] },
  { id: 'b', needs: ['a'] },
  { id: 'c', needs: ['a'] },
  { id: 'd', needs: ['b', 'c'] },
];

function states(s: Record<string, NodeState>): Record<string, NodeState> {
  return { a: 'pending', b: 'pending', c: 'pending', d: 'pending', ...s };
}

test('findCycle returns null for a DAG', () => {
  assert.equal(findCycle(diamond), null);
  assert.equal(findCycle([]), null);
});

test('findCycle names a two-node cycle with its first node repeated', () => {
  assert.deepEqual(findCycle([{ id: 'a', needs: ['b'] }, { id: 'b', needs: ['a'] }]), ['a', 'b', 'a']);
});

test('findCycle gives a longer cycle in data-flow order, starting at the node first in the spec', () => {
  // b needs a, c needs b, a needs c: data flows a -> b -> c -> a.
  const nodes = [
    { id: 'x', needs: [] },
    { id: 'c', needs: ['b'] },
    { id: 'a', needs: ['c', 'x'] },
    { id: 'b', needs: ['a'] },
  ];
  assert.deepEqual(findCycle(nodes), ['c', 'a', 'b', 'c']);
  assert.deepEqual(findCycle(nodes), findCycle(nodes.map((n) => ({ ...n }))));
});

test('findCycle reports a node that needs itself', () => {
  assert.deepEqual(findCycle([{ id: 'a', needs: [] }, { id: 'b', needs: ['b'] }]), ['b', 'b']);
});

test('findCycle ignores needs that name unknown nodes', () => {
  assert.equal(findCycle([{ id: 'a', needs: ['ghost'] }]), null);
});

test('topoOrder puts every node after its needs and breaks ties by spec order', () => {
  assert.deepEqual(topoOrder(diamond), ['a', 'b', 'c', 'd']);
  const nodes = [
    { id: 'load', needs: ['t2', 't1'] },
    { id: 't2', needs: ['src'] },
    { id: 'other', needs: [] },
    { id: 't1', needs: ['src'] },
    { id: 'src', needs: [] },
  ];
  assert.deepEqual(topoOrder(nodes), ['other', 'src', 't2', 't1', 'load']);
  // `late` becomes ready after `free` and `free2` but comes first in the spec, so it runs first.
  const released = [{ id: 'late', needs: ['root'] }, { id: 'root', needs: [] }, { id: 'free', needs: [] }, { id: 'free2', needs: [] }];
  assert.deepEqual(topoOrder(released), ['root', 'late', 'free', 'free2']);
});

test('topoOrder throws on a cycle, naming it', () => {
  assert.throws(() => topoOrder([{ id: 'a', needs: ['b'] }, { id: 'b', needs: ['a'] }]), /cycle a -> b -> a/);
});

test('upstreamClosure holds every transitive ancestor and nothing else', () => {
  const nodes = [...diamond, { id: 'e', needs: ['d'] }, { id: 'lone', needs: [] }];
  assert.deepEqual([...upstreamClosure(nodes, 'e')].sort(), ['a', 'b', 'c', 'd']);
  assert.deepEqual([...upstreamClosure(nodes, 'b')], ['a']);
  assert.deepEqual([...upstreamClosure(nodes, 'a')], []);
});

test('nextActions walks a diamond: the root, then both branches, then the join once both succeeded', () => {
  assert.deepEqual(nextActions(diamond, states({})), { start: ['a'], skip: [] });
  assert.deepEqual(nextActions(diamond, states({ a: 'running' })), { start: [], skip: [] });
  assert.deepEqual(nextActions(diamond, states({ a: 'succeeded' })), { start: ['b', 'c'], skip: [] });
  assert.deepEqual(nextActions(diamond, states({ a: 'succeeded', b: 'succeeded', c: 'running' })), { start: [], skip: [] });
  assert.deepEqual(
    nextActions(diamond, states({ a: 'succeeded', b: 'succeeded', c: 'succeeded' })),
    { start: ['d'], skip: [] },
  );
});

test('nextActions skips a join whose branch failed while the other branch still runs', () => {
  assert.deepEqual(
    nextActions(diamond, states({ a: 'succeeded', b: 'failed', c: 'running' })),
    { start: [], skip: ['d'] },
  );
});

test('nextActions skips everything downstream of a skipped or cancelled node in one call', () => {
  const chain = [...diamond, { id: 'e', needs: ['d'] }, { id: 'f', needs: ['a'] }];
  assert.deepEqual(
    nextActions(chain, { a: 'succeeded', b: 'skipped', c: 'succeeded', d: 'pending', e: 'pending', f: 'pending' }),
    { start: ['f'], skip: ['d', 'e'] },
  );
  assert.deepEqual(nextActions(diamond, states({ a: 'cancelled' })), { start: [], skip: ['b', 'c', 'd'] });
});

test('nextActions neither starts nor skips nodes that are no longer pending, and treats missing states as pending', () => {
  assert.deepEqual(nextActions(diamond, { a: 'failed', b: 'paused' }), { start: [], skip: ['c', 'd'] });
  assert.deepEqual(nextActions(diamond, {}), { start: ['a'], skip: [] });
});
