// The log routes against a real Temporal server and a real PostgreSQL: a site key sends its own
// site's lines and nothing else, bad batches are 4xx with paths, a viewer reads a run's lines (within
// its scope), follows them as server-sent events, and old days are dropped by retention.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { issueKey } from '../src/api/auth/keys.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { MAX_LOG_BATCH_LINES, MAX_LOG_MESSAGE_LENGTH } from '../src/dag/limits.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
const taskQueue = uniqueName('api-logs');
const site = uniqueName('acme');
const otherSite = uniqueName('beta');
let siteKey: string;
let runId: string;
let pipeline: string;

const as = (key: string) => ({ authorization: `Bearer ${key}` });
const siteKeyFor = async (s: string) => (await issueKey(store, { name: `worker of ${s}`, role: 'viewer', pipelines: null, expiresInMs: null, createdBy: 'test', site: s })).key;
let seq = 0;
const line = (over: Record<string, unknown> = {}) => ({ seq: ++seq, time: new Date().toISOString(), runId, nodeId: 'extract', attempt: 1, level: 'info', msg: 'hello', ...over });
const batch = (lines: unknown[], over: Record<string, unknown> = {}) => ({ source: 'test-source-1', site, lines, ...over });

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue });
  siteKey = await siteKeyFor(site);
  pipeline = uniqueName('logs');
  // No worker polls: the run stays open with its nodes waiting, which is all the log routes need.
  runId = await api.startPipelineRun({
    name: pipeline,
    nodes: [
      { id: 'extract', type: 'control.sleep', site, config: { ms: 1 } },
      { id: 'per_item', type: 'control.sleep', site, forEach: [1, 2], config: { ms: 1 } },
      { id: 'elsewhere', type: 'control.sleep', site: otherSite, config: { ms: 1 } },
      { id: 'load', type: 'control.sleep', needs: ['extract'], config: { ms: 1 } },
    ],
  });
});

after(async () => {
  await env?.client.workflow.getHandle(runId).terminate('test over').catch(() => undefined);
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

test('a site key sends its nodes\' lines; a viewer reads them in order, by node and level, page by page; a batch sent again is stored once', async () => {
  const lines = [line({ msg: 'node started' }), line({ nodeId: 'per_item[1]', msg: 'instance 1' }), line({ level: 'warn', msg: 'slow source', fields: { ms: 1200 } }), line({ msg: 'naïve ✓ 日本 🚀' })];
  const sent = await api.call('POST', '/api/v1/ingest/logs', batch(lines), as(siteKey));
  assert.equal(sent.status, 200, JSON.stringify(sent.json));
  assert.deepEqual(sent.json, { stored: 4, duplicates: 0 });
  // The answer got lost; the worker sends the same batch again.
  const again = await api.call('POST', '/api/v1/ingest/logs', batch(lines), as(siteKey));
  assert.deepEqual(again.json, { stored: 0, duplicates: 4 });

  const viewer = await api.makeKey('viewer');
  const all = await api.call('GET', `/api/v1/runs/${runId}/logs`, undefined, as(viewer));
  assert.equal(all.status, 200, JSON.stringify(all.json));
  assert.deepEqual(all.json.lines.map((l: { msg: string }) => l.msg), ['node started', 'instance 1', 'slow source', 'naïve ✓ 日本 🚀']);
  assert.equal(all.json.lines[2].level, 'warn');
  assert.deepEqual(all.json.lines[2].fields, { ms: 1200 });
  assert.equal(all.json.lines[0].site, site);
  const place = all.json.places.find((p: { site: string }) => p.site === site);
  assert.equal(place.shipping, 'on');
  assert.deepEqual(place.nodes.sort(), ['extract', 'per_item']);
  assert.equal(all.json.places.find((p: { site: string }) => p.site === 'central').shipping, 'unknown');

  const warn = await api.call('GET', `/api/v1/runs/${runId}/logs?level=warn`, undefined, as(viewer));
  assert.deepEqual(warn.json.lines.map((l: { msg: string }) => l.msg), ['slow source']);
  const mapped = await api.call('GET', `/api/v1/runs/${runId}/logs?node=per_item`, undefined, as(viewer));
  assert.deepEqual(mapped.json.lines.map((l: { nodeId: string }) => l.nodeId), ['per_item[1]']);
  const first = await api.call('GET', `/api/v1/runs/${runId}/logs?limit=2`, undefined, as(viewer));
  assert.equal(first.json.lines.length, 2);
  const rest = await api.call('GET', `/api/v1/runs/${runId}/logs?limit=10&cursor=${first.json.next}`, undefined, as(viewer));
  assert.deepEqual(rest.json.lines.map((l: { msg: string }) => l.msg), ['slow source', 'naïve ✓ 日本 🚀']);

  // A key limited to other pipelines sees no such run; a site key reads nothing.
  const scoped = await api.makeKey('viewer', ['other-*']);
  assert.equal((await api.call('GET', `/api/v1/runs/${runId}/logs`, undefined, as(scoped))).status, 404);
  const bySite = await api.call('GET', `/api/v1/runs/${runId}/logs`, undefined, as(siteKey));
  assert.equal(bySite.status, 403);
  assert.match(bySite.json.detail, /may only send the log lines of site/);
  assert.equal((await api.call('GET', `/api/v1/runs/${runId}`, undefined, as(siteKey))).status, 403);
  assert.equal((await api.call('GET', '/api/v1/pipelines', undefined, as(siteKey))).status, 403);
});

test('a site key cannot send lines for another site, for another site\'s nodes, or for runs that do not exist; other keys cannot send at all', async () => {
  const wrongSite = await api.call('POST', '/api/v1/ingest/logs', batch([line()], { site: otherSite, source: 'test-source-2' }), as(siteKey));
  assert.equal(wrongSite.status, 403);
  assert.deepEqual(wrongSite.json.errors.map((e: { path: string }) => e.path), ['site']);

  const refused = await api.call(
    'POST',
    '/api/v1/ingest/logs',
    batch([line(), line({ nodeId: 'elsewhere' }), line({ nodeId: 'load' }), line({ runId: `${pipeline}-000000000000` }), line({ nodeId: 'nope' })]),
    as(siteKey),
  );
  assert.equal(refused.status, 422, JSON.stringify(refused.json));
  assert.deepEqual(refused.json.errors.map((e: { path: string }) => e.path), ['lines[1].nodeId', 'lines[2].nodeId', 'lines[3].runId', 'lines[4].nodeId']);
  assert.match(refused.json.errors[1].message, /runs on the central workers, not/);

  // The other site's own key may send its node's lines, but not under a source id another site uses.
  const otherKey = await siteKeyFor(otherSite);
  const stolen = await api.call('POST', '/api/v1/ingest/logs', batch([line({ nodeId: 'elsewhere' })], { site: otherSite }), as(otherKey));
  assert.equal(stolen.status, 403);
  assert.deepEqual(stolen.json.errors.map((e: { path: string }) => e.path), ['source']);
  const own = await api.call('POST', '/api/v1/ingest/logs', batch([line({ nodeId: 'elsewhere' })], { site: otherSite, source: 'beta-source-1' }), as(otherKey));
  assert.equal(own.status, 200, JSON.stringify(own.json));

  for (const key of [api.adminKey, await api.makeKey('operator')]) {
    const r = await api.call('POST', '/api/v1/ingest/logs', batch([line()]), as(key));
    assert.equal(r.status, 403);
    assert.match(r.json.detail, /needs a site key/);
  }
  const audit = await api.call('GET', '/api/v1/audit?action=log.ingest');
  assert.ok(audit.json.entries.some((e: { status: number }) => e.status === 403), 'refused batches are audited');
  assert.ok(!audit.json.entries.some((e: { status: number }) => e.status === 200), 'accepted batches are not');
});

test('bad batches are 4xx naming the path, never a 500', async () => {
  const post = (body: unknown, headers: Record<string, string> = {}) => api.call('POST', '/api/v1/ingest/logs', body, { ...as(siteKey), ...headers });
  const cases: Array<[unknown, number, string]> = [
    [batch([line({ attempt: 'one' })]), 400, 'lines[0].attempt'],
    [batch([line({ level: 'debug' })]), 400, 'lines[0].level'],
    [batch([line({ time: 'yesterday' })]), 400, 'lines[0].time'],
    [batch([line({ msg: 'x'.repeat(MAX_LOG_MESSAGE_LENGTH + 1) })]), 400, 'lines[0].msg'],
    [batch([line({ msg: 'a\u0000b' })]), 400, 'lines[0].msg'],
    [batch([line({ msg: '\ud800' })]), 400, 'lines[0].msg'],
    [batch([line({ fields: { blob: 'y'.repeat(20_000) } })]), 400, 'lines[0].fields'],
    [batch([line({ extra: 1 })]), 400, 'lines[0].extra'],
    [batch([line({ seq: 5 }), line({ seq: 4 })]), 400, 'lines[1].seq'],
    [batch(Array.from({ length: MAX_LOG_BATCH_LINES + 1 }, () => line())), 400, 'lines'],
    [batch([line({ nodeId: '../etc' })]), 400, 'lines[0].nodeId'],
    [batch([], { site: 'Not A Site' }), 400, 'site'],
    [batch([], { source: 'x' }), 400, 'source'],
    [batch([line()], { shipping: false }), 400, 'lines'],
    [[1, 2, 3], 400, '(root)'],
  ];
  for (const [body, status, path] of cases) {
    const r = await post(body);
    assert.equal(r.status, status, `${path}: ${JSON.stringify(r.json).slice(0, 300)}`);
    assert.ok(r.json.errors.some((e: { path: string }) => e.path === path), `${path} in ${JSON.stringify(r.json.errors).slice(0, 300)}`);
  }
  const huge = await post(JSON.stringify(batch([line({ msg: 'z'.repeat(8000) })])).replace('"lines":[', `"pad":"${'p'.repeat(3 * 1024 * 1024)}","lines":[`), { 'content-type': 'application/json' });
  assert.equal(huge.status, 413);
  const text = await post('lines', { 'content-type': 'text/plain' });
  assert.equal(text.status, 415);
  const badQuery = await api.call('GET', `/api/v1/runs/${runId}/logs?level=loud&limit=0&cursor=abc&nope=1`);
  assert.equal(badQuery.status, 400);
  assert.deepEqual(badQuery.json.errors.map((e: { path: string }) => e.path).sort(), ['cursor', 'level', 'limit', 'nope']);
});

test('a site whose policy keeps its logs says so once; the run\'s logs then say where they are', async () => {
  const otherKey = await siteKeyFor(otherSite);
  const said = await api.call('POST', '/api/v1/ingest/logs', { source: 'beta-source-2', site: otherSite, shipping: false }, as(otherKey));
  assert.equal(said.status, 200, JSON.stringify(said.json));
  const r = await api.call('GET', `/api/v1/runs/${runId}/logs?node=elsewhere`);
  const place = r.json.places.find((p: { site: string }) => p.site === otherSite);
  assert.equal(place.shipping, 'off');
  assert.match(place.note, new RegExp(`site ${otherSite} keeps its logs on its own workers`));
});

test('?follow=1 streams lines as they arrive, with the places first, and ends when the run closes', async () => {
  const followedRun = await api.startPipelineRun({ name: uniqueName('follow'), nodes: [{ id: 'extract', type: 'control.sleep', site, config: { ms: 1 } }] });
  const controller = new AbortController();
  const res = await fetch(`${api.url}/api/v1/runs/${followedRun}/logs?follow=1`, { headers: as(api.adminKey), signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: Array<{ event: string; id?: string; data: string }> = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const ev: { event: string; id?: string; data: string } = { event: 'message', data: '' };
        for (const l of block.split('\n')) {
          if (l.startsWith('event: ')) ev.event = l.slice(7);
          else if (l.startsWith('id: ')) ev.id = l.slice(4);
          else if (l.startsWith('data: ')) ev.data += l.slice(6);
        }
        if (block.startsWith(':') || block.startsWith('retry:') && ev.event === 'message') continue;
        events.push(ev);
      }
    }
  })();
  await waitFor(async () => events.some((e) => e.event === 'places'), 'the places event');
  for (const msg of ['one', 'two']) {
    const sent = await api.call('POST', '/api/v1/ingest/logs', batch([line({ runId: followedRun, msg })], { source: 'follow-source-1' }), as(siteKey));
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    await waitFor(async () => events.some((e) => e.event === 'line' && JSON.parse(e.data).msg === msg), `line ${msg} on the stream`, 5_000);
  }
  await env.client.workflow.getHandle(followedRun).cancel();
  await env.client.workflow.getHandle(followedRun).terminate('closing for the test').catch(() => undefined);
  await waitFor(async () => events.some((e) => e.event === 'end'), 'the stream to end once the run closed', 20_000);
  await reading;
  const lines = events.filter((e) => e.event === 'line');
  assert.deepEqual(lines.map((e) => JSON.parse(e.data).msg), ['one', 'two']);
  assert.deepEqual(lines.map((e) => e.id), lines.map((e) => JSON.parse(e.data).id));
  controller.abort();
});

test('retention drops whole days of lines older than SLUICE_LOG_RETENTION and keeps the rest', async () => {
  const DAY = 86_400_000;
  const past = new Date(Date.now() - 20 * DAY);
  const made = await store.maintainLogPartitions(14 * DAY, past);
  assert.ok(made.created.length >= 1, 'partitions of 20 days ago were made');
  const { dropped } = await store.maintainLogPartitions(14 * DAY);
  assert.ok(dropped.length >= 3, `old days dropped: ${dropped.join(', ')}`);
  for (const name of dropped) assert.ok(made.created.includes(name), `${name} was one of the old days`);
  const today = `run_logs_p${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  assert.ok(!dropped.includes(today));
  const r = await api.call('GET', `/api/v1/runs/${runId}/logs`);
  assert.ok(r.json.lines.length >= 4, 'today\'s lines are still there');
});
