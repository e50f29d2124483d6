// What `sluice run --follow` draws from run views, and how the API commands find the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView, RunView } from '../../src/api/schemas.js';
import { ApiClient } from '../../src/cli/api-client.js';
import { failureLines, formatDuration, ProgressView } from '../../src/cli/progress.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function node(state: NodeView['state'], over: Partial<NodeView> = {}): NodeView {
  return { state, attempt: 1, startedAt: null, endedAt: null, stats: {}, error: null, site: 'central', outputs: null, ...over };
}

function view(nodes: Record<string, NodeView>, over: Partial<RunView> = {}): RunView {
  const byState = { pending: 0, running: 0, paused: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const n of Object.values(nodes)) byState[n.state]++;
  return {
    runId: 'orders-1a2b3c4d5e6f',
    pipeline: 'orders',
    version: 1,
    status: 'running',
    startedAt: at(0),
    endedAt: null,
    error: null,
    summary: { nodes: Object.keys(nodes).length, byState, rowsIn: 0, rowsOut: 0, segments: 1 },
    detail: 'all',
    nodes,
    ...over,
  };
}

test('plain mode prints a line only for what changed, with rows, rows/s since the last look, and elapsed time', () => {
  const p = new ProgressView();
  const first = p.plain(view({ extract: node('running', { startedAt: at(0), stats: { rowsOut: 1000 } }), load: node('pending') }), T0 + 2000);
  assert.deepEqual(first, ['extract: running, 1,000 rows, 500 rows/s, 2.0s', 'load: pending, 0 rows', 'run orders-1a2b3c4d5e6f: running, 2.0s (2 nodes: 1 pending, 1 running; rows in 0, out 0)']);
  // Nothing moved: nothing printed.
  assert.deepEqual(p.plain(view({ extract: node('running', { startedAt: at(0), stats: { rowsOut: 1000 } }), load: node('pending') }), T0 + 3000), []);
  // 3,000 more rows in the next 2 s: the rate is the recent one, not the average.
  assert.deepEqual(p.plain(view({ extract: node('running', { startedAt: at(0), stats: { rowsOut: 4000 } }), load: node('pending') }), T0 + 5000), ['extract: running, 4,000 rows, 1,500 rows/s, 5.0s']);
  const done = view({ extract: node('succeeded', { startedAt: at(0), endedAt: at(8), stats: { rowsOut: 8000 } }), load: node('succeeded', { startedAt: at(8), endedAt: at(9), stats: { rowsIn: 8000, rowsOut: 8000 } }) }, { status: 'completed', endedAt: at(9) });
  assert.deepEqual(p.plain(done, T0 + 10_000), [
    'extract: succeeded, 8,000 rows, 1,000 rows/s, 8.0s',
    'load: succeeded, 8,000 rows, 8,000 rows/s, 1.0s',
    'run orders-1a2b3c4d5e6f: completed, 9.0s (2 nodes: 2 succeeded; rows in 0, out 0)',
  ]);
});

test('plain mode of a run over 1,000 nodes prints its summary whenever it moves', () => {
  const p = new ProgressView();
  const big = (succeeded: number) =>
    view({ n7: node('running', { startedAt: at(0) }) }, { detail: 'partial', summary: { nodes: 3000, byState: { pending: 2999 - succeeded, running: 1, paused: 0, succeeded, failed: 0, skipped: 0, cancelled: 0 }, rowsIn: 0, rowsOut: 0, segments: 1 } });
  assert.equal(p.plain(big(10), T0 + 1000).at(-1), 'run orders-1a2b3c4d5e6f: running, 1.0s (3,000 nodes: 2,989 pending, 1 running, 10 succeeded; rows in 0, out 0)');
  assert.deepEqual(p.plain(big(20), T0 + 2000), ['run orders-1a2b3c4d5e6f: running, 2.0s (3,000 nodes: 2,979 pending, 1 running, 20 succeeded; rows in 0, out 0)']);
});

test('terminal mode redraws over the last frame and, when the nodes do not fit, shows the active ones first', () => {
  const p = new ProgressView();
  const nodes: Record<string, NodeView> = {};
  for (let i = 0; i < 20; i++) nodes[`n${i}`] = node(i < 10 ? 'succeeded' : i === 15 ? 'running' : 'pending', i === 15 ? { startedAt: at(0) } : { startedAt: at(0), endedAt: at(1) });
  const first = p.frame(view(nodes), T0 + 2000, 10, 200);
  assert.ok(!first.startsWith('\x1b['), 'nothing to erase the first time');
  const lines = first.trimEnd().split('\n');
  assert.equal(lines.length, 8, 'fits the height: run line, header, 5 nodes, a "more" line');
  assert.match(lines[2]!, /^n15\s+running\s/);
  assert.match(lines.at(-1)!, /\.\.\. 15 more nodes \(not active\)/);
  const second = p.frame(view(nodes), T0 + 3000, 10, 200);
  assert.ok(second.startsWith('\x1b[8F\x1b[J'), 'moves up over the 8 lines drawn before and clears them');
});

test('the end of a failed run names its error, each failed node, and the retry while it waits for one', () => {
  const v = view(
    { extract: node('succeeded'), load: node('failed', { error: 'connection refused' }), after: node('skipped') },
    { status: 'failed', error: 'node "load" failed: connection refused', recoverableUntil: '2026-12-08T10:00:00.000Z' },
  );
  assert.deepEqual(failureLines(v), [
    'run orders-1a2b3c4d5e6f failed: node "load" failed: connection refused',
    '  node load failed: connection refused',
    'it waits for a retry until 2026-12-08T10:00:00.000Z: sluice retry orders-1a2b3c4d5e6f',
  ]);
});

test('durations read short', () => {
  assert.deepEqual([0, 2500, 42_000, 65_000, 3_725_000].map(formatDuration), ['0.0s', '2.5s', '42s', '1m05s', '1h02m']);
});

test('the API commands say which variables to set, and never echo the key', () => {
  assert.throws(() => ApiClient.fromOptions({}, {}), (err: Error & { exitCode?: number }) => /set SLUICE_API_URL .*, and SLUICE_API_KEY/.test(err.message) && err.exitCode === 2);
  assert.throws(() => ApiClient.fromOptions({}, { SLUICE_API_URL: 'http://x:3000' }), /^Error: set SLUICE_API_KEY|set SLUICE_API_KEY/);
  assert.throws(
    () => ApiClient.fromOptions({}, { SLUICE_API_URL: 'not a url', SLUICE_API_KEY: 'sk_top-secret' }),
    (err: Error) => err.message.includes('SLUICE_API_URL') && !err.message.includes('top-secret'),
  );
  // A URL given with the API's prefix or a trailing slash is the same API.
  assert.equal(ApiClient.fromOptions({ apiUrl: 'https://sluice.acme.com/api/v1/' }, { SLUICE_API_KEY: 'k' }).baseUrl, 'https://sluice.acme.com');
  assert.equal(ApiClient.fromOptions({ apiKey: 'k' }, { SLUICE_API_URL: 'http://127.0.0.1:3000/' }).baseUrl, 'http://127.0.0.1:3000');
});
