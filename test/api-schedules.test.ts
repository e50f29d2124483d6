// Schedules through the REST API against a real Temporal server (its Schedules), real PostgreSQL
// and real Sluice workers: scheduled and backfilled runs see their logical time, overlap skip
// skips, pause/unpause/trigger/delete act on Temporal, roles and scopes hold, bad input is a 4xx.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { Context } from '@temporalio/activity';
import { makeCatalog } from '../src/dag/catalog.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import type { NodeTaskInput, NodeTaskResult } from '../src/workflows/node-task.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { testActivities, testCatalog } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';

/** test.echo: outputs its config, so a run shows what its templates resolved to. */
const echoActivity = async (task: NodeTaskInput): Promise<NodeTaskResult> => ({
  status: 'done',
  outputs: { ...task.config },
  stats: { rowsIn: 0, rowsOut: 0 },
  attempt: Context.current().info.attempt,
});

const catalog = makeCatalog([
  ...testCatalog.values(),
  { type: 'test.echo', description: 'outputs its config', config: z.object({ at: z.string(), label: z.string().optional() }), consumesDataset: false, producesDataset: false },
]);

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let worker: RunningWorker;
const taskQueue = uniqueName('api-schedules');
const made: string[] = [];

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, metadata: store, extraActivities: { ...testActivities, 'test.echo': echoActivity } });
  api = await startTestApi({ store, client: env.client, taskQueue, catalog });
});

after(async () => {
  // Schedules outlive a test file in a shared dev server: remove every one this file made.
  for (const id of made) await env.client.schedule.getHandle(id).delete().catch(() => undefined);
  await api?.close();
  await worker?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

const echoSpec = (name: string, label = 'v1') => ({
  name,
  params: { label: { type: 'string', default: label } },
  nodes: [{ id: 'echo', type: 'test.echo', config: { at: '{{ run.scheduledAt }}', label: '{{ params.label }}' } }],
});
const sleepSpec = (name: string, ms: number) => ({ name, nodes: [{ id: 'wait', type: 'control.sleep', config: { ms } }] });
const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function register(spec: { name: string; [key: string]: unknown }): Promise<void> {
  const r = await api.call('POST', '/api/v1/pipelines', spec);
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.json));
}

async function createSchedule(pipeline: string, body: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: any }> {
  const r = await api.call('POST', `/api/v1/pipelines/${pipeline}/schedules`, body, headers);
  if (r.status === 201) made.push(r.json.id);
  return r;
}

async function runsOf(scheduleId: string): Promise<any[]> {
  const r = await api.call('GET', `/api/v1/runs?schedule=${scheduleId}&limit=500`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.runs;
}

/** `2026-01-02T03:04:05Z`: how Temporal suffixes a scheduled run's workflow id. */
const idTime = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

test('an interval schedule of 2s starts runs like any other, each seeing its own run.scheduledAt; deleting it stops them', async () => {
  const name = uniqueName('sched-every');
  await register(echoSpec(name));
  const created = await createSchedule(name, { interval: '2s', overlap: 'allow_all', params: { label: 'scheduled' }, note: 'every two seconds' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id as string;
  assert.match(id, new RegExp(`^${name}-[0-9a-f]{8}$`));
  assert.equal(created.headers.get('location'), `/api/v1/schedules/${id}`);
  assert.deepEqual(
    { pipeline: created.json.pipeline, version: created.json.version, interval: created.json.interval, cron: created.json.cron, overlap: created.json.overlap, paused: created.json.paused, note: created.json.note, params: created.json.params, timezone: created.json.timezone },
    { pipeline: name, version: 1, interval: '2s', cron: null, overlap: 'allow_all', paused: false, note: 'every two seconds', params: { label: 'scheduled' }, timezone: 'UTC' },
  );
  assert.ok(created.json.nextRunTimes.length > 0);

  const runs = await waitFor(async () => {
    const listed = (await runsOf(id)).filter((r) => r.status === 'completed');
    return listed.length >= 3 ? listed : null;
  }, 'three completed scheduled runs', 60_000);
  const seen = new Set<string>();
  for (const summary of runs) {
    assert.equal(summary.pipeline, name);
    assert.equal(summary.scheduleId, id);
    assert.equal(summary.runId, `${id}-${idTime(summary.scheduledAt)}`, 'Temporal appends the logical time to the id');
    const view = await api.call('GET', `/api/v1/runs/${encodeURIComponent(summary.runId)}`);
    assert.equal(view.status, 200, JSON.stringify(view.json));
    assert.equal(view.json.status, 'completed');
    assert.equal(view.json.version, 1);
    assert.equal(view.json.scheduleId, id);
    assert.equal(view.json.scheduledAt, summary.scheduledAt);
    assert.equal(view.json.nodes.echo.outputs.at, summary.scheduledAt, 'the node read run.scheduledAt');
    assert.equal(view.json.nodes.echo.outputs.label, 'scheduled', 'the schedule params reached the run');
    assert.equal(new Date(summary.scheduledAt).getTime() % 2000, 0, 'logical times are on the 2s grid');
    seen.add(summary.scheduledAt);
  }
  assert.equal(seen.size, runs.length, 'each run has its own logical time');
  // They are runs like any other: listed by pipeline, under the same workflow type and search attributes.
  const byPipeline = await api.call('GET', `/api/v1/runs?pipeline=${name}&limit=500`);
  for (const r of runs) assert.ok(byPipeline.json.runs.some((x: { runId: string }) => x.runId === r.runId));

  const got = await api.call('GET', `/api/v1/schedules/${id}`);
  assert.equal(got.status, 200);
  assert.ok(got.json.recentRuns.length >= 3);
  assert.ok(got.json.recentRuns.every((r: { runId: string; scheduledAt: string }) => r.runId === `${id}-${idTime(r.scheduledAt)}`));

  const deleted = await api.call('DELETE', `/api/v1/schedules/${id}`);
  assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
  assert.equal((await api.call('GET', `/api/v1/schedules/${id}`)).status, 404);
  await sleep(1500);
  const settled = (await runsOf(id)).length;
  await sleep(4500);
  assert.equal((await runsOf(id)).length, settled, 'no run starts after the schedule is deleted');
  assert.equal((await api.call('DELETE', `/api/v1/schedules/${id}`)).status, 404);
});

test('a backfill of N slots starts exactly N runs with those logical times, while the schedule is paused; trigger starts one now', async () => {
  const name = uniqueName('sched-backfill');
  await register(echoSpec(name));
  const created = await createSchedule(name, { id: `${name}-hourly`, cron: '0 * * * *', overlap: 'skip', paused: true });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id as string;
  assert.equal(created.json.cron, '0 * * * *');
  assert.equal(created.json.paused, true);

  const hour = 3_600_000;
  const from = new Date(Math.floor(Date.now() / hour) * hour - 5 * hour);
  const to = new Date(from.getTime() + 3 * hour); // 4 slots: both ends count
  const expected = [0, 1, 2, 3].map((i) => new Date(from.getTime() + i * hour).toISOString());
  const backfill = await api.call('POST', `/api/v1/schedules/${id}/backfill`, { from: from.toISOString(), to: to.toISOString() });
  assert.equal(backfill.status, 202, JSON.stringify(backfill.json));
  assert.equal(backfill.json.runs, 4);
  assert.equal(backfill.json.overlap, 'buffer_all');
  assert.deepEqual(backfill.json.scheduledTimes, expected);

  const runs = await waitFor(async () => {
    const listed = await runsOf(id);
    return listed.length >= 4 && listed.every((r) => r.status === 'completed') ? listed : null;
  }, 'four backfilled runs completed', 60_000);
  await sleep(3000);
  const again = await runsOf(id);
  assert.equal(again.length, 4, `exactly the backfilled runs: ${JSON.stringify(again)}`);
  assert.deepEqual(runs.map((r) => r.scheduledAt).sort(), expected);
  for (const r of runs) {
    const view = await api.call('GET', `/api/v1/runs/${encodeURIComponent(r.runId)}`);
    assert.equal(view.json.nodes.echo.outputs.at, r.scheduledAt);
  }

  // A trigger runs now, paused or not.
  const before = Date.now();
  const trigger = await api.call('POST', `/api/v1/schedules/${id}/trigger`);
  assert.equal(trigger.status, 202, JSON.stringify(trigger.json));
  const triggered = await waitFor(async () => (await runsOf(id)).find((r) => Date.parse(r.scheduledAt) >= before - 1000 && r.status === 'completed'), 'the triggered run', 30_000);
  const view = await api.call('GET', `/api/v1/runs/${encodeURIComponent(triggered.runId)}`);
  assert.equal(view.json.nodes.echo.outputs.at, triggered.scheduledAt);

  // A run started by hand sees its own start as run.scheduledAt, and lists no schedule.
  const manual = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  const done = await api.runWhere(manual.json.runId, 'the manual run completes', (v) => v.status === 'completed');
  assert.equal(done.scheduleId, null);
  assert.equal(done.scheduledAt, null);
  assert.equal(done.nodes.echo.outputs.at, done.startedAt);
});

test('overlap skip starts nothing while the last run is still open; pause, unpause and run controls work on scheduled runs', async () => {
  const name = uniqueName('sched-skip');
  await register(sleepSpec(name, 120_000));
  const created = await createSchedule(name, { interval: '2s', overlap: 'skip' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id as string;
  const first = await waitFor(async () => (await runsOf(id))[0], 'the first scheduled run', 30_000);
  await api.runWhere(first.runId, 'the first run sleeps', (v) => v.status === 'running' && v.nodes.wait.state === 'running');
  await sleep(7000);
  const runs = await runsOf(id);
  assert.equal(runs.length, 1, `skip: no second run while the first sleeps: ${JSON.stringify(runs)}`);
  const described = await api.call('GET', `/api/v1/schedules/${id}`);
  assert.deepEqual(described.json.runningRuns, [first.runId]);

  // Pause and resume reach a scheduled run (its id has Temporal's timestamp suffix).
  const runPath = `/api/v1/runs/${encodeURIComponent(first.runId)}`;
  assert.equal((await api.call('POST', `${runPath}/pause`)).status, 202);
  await api.runWhere(first.runId, 'the run pauses', (v) => v.status === 'paused');
  assert.equal((await api.call('POST', `${runPath}/resume`)).status, 202);
  await api.runWhere(first.runId, 'the run resumes', (v) => v.status === 'running');

  const paused = await api.call('POST', `/api/v1/schedules/${id}/pause`, { note: 'maintenance' });
  assert.deepEqual(paused.json, { id, requested: 'pause' });
  const viewPaused = await api.call('GET', `/api/v1/schedules/${id}`);
  assert.equal(viewPaused.json.paused, true);
  assert.equal(viewPaused.json.note, 'maintenance');
  assert.equal((await api.call('POST', `${runPath}/cancel`)).status, 202);
  await api.runWhere(first.runId, 'the run is cancelled', (v) => v.status === 'cancelled');
  await sleep(5000);
  assert.equal((await runsOf(id)).length, 1, 'a paused schedule starts nothing');

  const unpaused = await api.call('POST', `/api/v1/schedules/${id}/unpause`);
  assert.equal(unpaused.status, 200, JSON.stringify(unpaused.json));
  const second = await waitFor(async () => (await runsOf(id)).find((r) => r.runId !== first.runId), 'a run after unpausing', 30_000);
  await api.call('DELETE', `/api/v1/schedules/${id}`);
  await api.call('POST', `/api/v1/runs/${encodeURIComponent(second.runId)}/cancel`);
});

test('PATCH changes when, params, version and policies; params are checked against the pinned version', async () => {
  const name = uniqueName('sched-patch');
  await register(echoSpec(name));
  const id = (await createSchedule(name, { cron: '30 2 * * *', timezone: 'Europe/Paris', overlap: 'skip', paused: true })).json.id as string;
  let r = await api.call('PATCH', `/api/v1/schedules/${id}`, { interval: '90m', catchupWindow: '5m', overlap: 'buffer_one', note: 'patched' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual([r.json.cron, r.json.interval, r.json.catchupWindow, r.json.overlap, r.json.note, r.json.timezone], [null, '1h 30m', '5m', 'buffer_one', 'patched', 'Europe/Paris']);
  r = await api.call('PATCH', `/api/v1/schedules/${id}`, { cron: '@daily', timezone: 'UTC' });
  assert.deepEqual([r.json.cron, r.json.interval, r.json.timezone], ['@daily', null, 'UTC']);
  r = await api.call('PATCH', `/api/v1/schedules/${id}`, { params: { nope: 1 } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json.errors.map((e: { path: string }) => e.path), ['params.nope']);
  // A new version without the param: re-pinning to it checks the schedule's params again.
  await register({ name, nodes: [{ id: 'echo', type: 'test.echo', config: { at: '{{ run.scheduledAt }}' } }] });
  r = await api.call('PATCH', `/api/v1/schedules/${id}`, { version: 'latest' });
  assert.equal(r.status, 400, JSON.stringify(r.json));
  assert.deepEqual(r.json.errors.map((e: { path: string }) => e.path), ['params.label']);
  r = await api.call('PATCH', `/api/v1/schedules/${id}`, { version: 'latest', params: {} });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.version, 2);
  assert.equal(r.json.cron, '@daily', 'the cron survives an action rebuilt for a new version');
  r = await api.call('PATCH', `/api/v1/schedules/${id}`, { version: 7 });
  assert.equal(r.status, 400);
  assert.equal(r.json.errors[0].path, 'version');
});

test('viewers read schedules, operators manage those of pipelines in their scope, others are 403/404, and every change is audited', async () => {
  const mine = uniqueName('sched-mine');
  const theirs = uniqueName('sched-theirs');
  await register(echoSpec(mine));
  await register(echoSpec(theirs));
  const theirId = (await createSchedule(theirs, { cron: '0 0 1 1 *', overlap: 'skip', paused: true })).json.id as string;
  const viewer = await api.makeKey('viewer');
  const operator = await api.makeKey('operator', [mine]);

  assert.equal((await api.call('GET', `/api/v1/schedules/${theirId}`, undefined, as(viewer))).status, 200);
  assert.equal((await api.call('GET', '/api/v1/schedules', undefined, as(viewer))).status, 200);
  const denied = await createSchedule(mine, { cron: '0 0 1 1 *', overlap: 'skip' }, as(viewer));
  assert.equal(denied.status, 403);
  assert.match(denied.json.detail, /schedule\.create needs the operator role; this key has viewer/);
  for (const [method, path] of [['PATCH', `/api/v1/schedules/${theirId}`], ['DELETE', `/api/v1/schedules/${theirId}`], ['POST', `/api/v1/schedules/${theirId}/pause`], ['POST', `/api/v1/schedules/${theirId}/trigger`]] as const) {
    assert.equal((await api.call(method, path, method === 'PATCH' ? { note: 'x' } : undefined, as(viewer))).status, 403, `${method} ${path}`);
  }

  const created = await createSchedule(mine, { id: `${mine}-op`, cron: '0 0 1 1 *', overlap: 'skip', paused: true }, as(operator));
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const myId = created.json.id as string;
  assert.equal((await createSchedule(theirs, { cron: '0 0 1 1 *', overlap: 'skip' }, as(operator))).status, 404, 'a pipeline outside the scope is not found');
  for (const [method, path] of [
    ['GET', `/api/v1/schedules/${theirId}`],
    ['PATCH', `/api/v1/schedules/${theirId}`],
    ['DELETE', `/api/v1/schedules/${theirId}`],
    ['POST', `/api/v1/schedules/${theirId}/pause`],
    ['POST', `/api/v1/schedules/${theirId}/unpause`],
    ['POST', `/api/v1/schedules/${theirId}/trigger`],
    ['POST', `/api/v1/schedules/${theirId}/backfill`],
  ] as const) {
    const body = method === 'PATCH' ? { note: 'x' } : path.endsWith('backfill') ? { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' } : undefined;
    const r = await api.call(method, path, body, as(operator));
    assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.detail, `schedule ${theirId} not found`);
  }
  const listed = await waitFor(async () => {
    const r = await api.call('GET', '/api/v1/schedules', undefined, as(operator));
    return r.json.schedules.some((s: { id: string }) => s.id === myId) ? r.json.schedules : null;
  }, 'the operator lists its schedule');
  assert.ok(listed.every((s: { pipeline: string }) => s.pipeline === mine), 'a scoped key lists only its pipelines');
  assert.equal((await api.call('GET', `/api/v1/schedules?pipeline=${theirs}`, undefined, as(operator))).status, 404);
  const byPipeline = await waitFor(async () => {
    const r = await api.call('GET', `/api/v1/schedules?pipeline=${theirs}`);
    return r.json.schedules.length > 0 ? r.json.schedules : null;
  }, 'the admin lists by pipeline');
  assert.deepEqual(byPipeline.map((s: { id: string }) => s.id), [theirId]);

  assert.equal((await api.call('PATCH', `/api/v1/schedules/${myId}`, { note: 'mine' }, as(operator))).status, 200);
  assert.equal((await api.call('POST', `/api/v1/schedules/${myId}/unpause`, undefined, as(operator))).status, 200);
  assert.equal((await api.call('POST', `/api/v1/schedules/${myId}/pause`, undefined, as(operator))).status, 200);
  assert.equal((await api.call('POST', `/api/v1/schedules/${myId}/backfill`, { from: '2024-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, as(operator))).status, 202);
  assert.equal((await api.call('DELETE', `/api/v1/schedules/${myId}`, undefined, as(operator))).status, 200);

  const audit = await api.call('GET', `/api/v1/audit?limit=500`);
  const rows = audit.json.entries.filter((e: { target: string | null }) => e.target === `schedule ${myId}`);
  const actions = rows.map((e: { action: string; status: number }) => `${e.action} ${e.status}`).sort();
  assert.deepEqual(actions, ['schedule.backfill 202', 'schedule.create 201', 'schedule.delete 200', 'schedule.pause 200', 'schedule.unpause 200', 'schedule.update 200']);
  assert.ok(audit.json.entries.some((e: { action: string; status: number; target: string }) => e.action === 'schedule.create' && e.status === 403));
});

test('bad input is a 4xx naming the path, never a 500', async () => {
  const name = uniqueName('sched-bad');
  await register(echoSpec(name));
  const existing = (await createSchedule(name, { id: `${name}-one`, cron: '0 0 1 1 *', overlap: 'skip', paused: true })).json.id as string;
  const base = { cron: '0 * * * *', overlap: 'skip', paused: true };
  const cases: [string, unknown, number, string[]][] = [
    ['empty body', undefined, 400, ['cron', 'overlap']],
    ['no when', { overlap: 'skip' }, 400, ['cron']],
    ['both cron and interval', { ...base, interval: '1m' }, 400, ['interval']],
    ['too few cron fields', { ...base, cron: 'hello' }, 400, ['cron']],
    ['a cron field out of range', { ...base, cron: '61 * * * *' }, 400, ['cron']],
    ['a cron of odd characters', { ...base, cron: '* * * * * ; rm' }, 400, ['cron']],
    ['a time zone inside the cron', { ...base, cron: 'CRON_TZ=UTC 0 * * * *' }, 400, ['cron']],
    ['an unknown macro', { ...base, cron: '@sometimes' }, 400, ['cron']],
    ['a cron that is a number', { ...base, cron: 5 }, 400, ['cron']],
    ['an unknown time zone', { ...base, timezone: 'Mars/Olympus' }, 400, ['timezone']],
    ['a lower-case utc', { ...base, timezone: 'utc' }, 400, ['timezone']],
    ['a time zone of the wrong type', { ...base, timezone: ['UTC'] }, 400, ['timezone']],
    ['a zero interval', { overlap: 'skip', interval: '0s' }, 400, ['interval']],
    ['a sub-second interval', { overlap: 'skip', interval: 500 }, 400, ['interval']],
    ['a huge interval', { overlap: 'skip', interval: 1e308 }, 400, ['interval']],
    ['an interval in words', { overlap: 'skip', interval: 'every minute' }, 400, ['interval']],
    ['an unknown overlap', { ...base, overlap: 'sometimes' }, 400, ['overlap']],
    ['a short catch-up window', { ...base, catchupWindow: '1s' }, 400, ['catchupWindow']],
    ['an unknown param', { ...base, params: { nope: 1 } }, 400, ['params.nope']],
    ['a mistyped param', { ...base, params: { label: 5 } }, 400, ['params.label']],
    ['params that are a list', { ...base, params: [1] }, 400, ['params']],
    ['an upper-case id', { ...base, id: 'Bad-Id' }, 400, ['id']],
    ['a unicode id', { ...base, id: 'café' }, 400, ['id']],
    ['a long id', { ...base, id: 'a'.repeat(101) }, 400, ['id']],
    ['a NUL in the note', { ...base, note: 'a\u0000b' }, 400, ['note']],
    ['an unpaired surrogate in the note', { ...base, note: 'a\ud800b' }, 400, ['note']],
    ['a long note', { ...base, note: 'n'.repeat(1025) }, 400, ['note']],
    ['an unknown field', { ...base, everySoOften: true }, 400, ['everySoOften']],
    ['a prototype key', JSON.parse('{"cron":"0 * * * *","overlap":"skip","__proto__":{"x":1}}'), 400, ['__proto__']],
    ['deep params', { ...base, params: { label: JSON.parse('['.repeat(40) + ']'.repeat(40)) } }, 400, ['params.label' + '[0]'.repeat(30)]],
    ['a paused that is a string', { ...base, paused: 'yes' }, 400, ['paused']],
    ['a list for a body', [base], 400, ['(root)']],
    ['a duplicate id', { ...base, id: existing }, 409, []],
    ['a version that does not exist', { ...base, version: 99 }, 404, []],
  ];
  for (const [what, body, status, paths] of cases) {
    const r = await api.call('POST', `/api/v1/pipelines/${name}/schedules`, body);
    if (r.status === 201) made.push(r.json.id);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
    assert.match(r.headers.get('content-type') ?? '', /problem\+json/, what);
    const got: string[] = r.json.errors.map((e: { path: string }) => e.path);
    for (const p of paths) assert.ok(got.some((g) => g === p || g.startsWith(p)), `${what}: expected ${p} in ${JSON.stringify(r.json.errors)}`);
  }
  const other: [string, string, unknown, number, string][] = [
    ['POST', `/api/v1/pipelines/no-such-pipeline/schedules`, base, 404, ''],
    ['POST', `/api/v1/pipelines/Bad_Name/schedules`, base, 400, 'name'],
    ['POST', `/api/v1/pipelines/${name}/schedules`, 'cron=1', 415, 'body'],
    ['POST', `/api/v1/pipelines/${name}/schedules`, { ...base, note: 'x'.repeat(300_000) }, 413, 'body'],
    ['GET', '/api/v1/schedules/no-such-schedule', undefined, 404, ''],
    ['GET', '/api/v1/schedules/Not%20An%20Id', undefined, 400, 'id'],
    ['GET', '/api/v1/schedules/%ZZ', undefined, 400, 'id'],
    ['GET', '/api/v1/schedules?limit=0', undefined, 400, 'limit'],
    ['GET', '/api/v1/schedules?limit=101', undefined, 400, 'limit'],
    ['GET', '/api/v1/schedules?pipeline=BAD', undefined, 400, 'pipeline'],
    ['GET', '/api/v1/schedules?sort=id', undefined, 400, 'sort'],
    ['GET', '/api/v1/runs?schedule=%E2%98%83', undefined, 400, 'schedule'],
    ['PATCH', `/api/v1/schedules/${existing}`, {}, 400, '(root)'],
    ['PATCH', `/api/v1/schedules/${existing}`, { cron: '0 * * * *', interval: '1h' }, 400, 'interval'],
    ['PATCH', `/api/v1/schedules/${existing}`, { cron: '0 25 * * *' }, 400, 'cron'],
    ['PATCH', `/api/v1/schedules/${existing}`, { version: 'newest' }, 400, 'version'],
    ['PATCH', `/api/v1/schedules/no-such-schedule`, { note: 'x' }, 404, ''],
    ['PUT', `/api/v1/schedules/${existing}`, { note: 'x' }, 405, ''],
    ['POST', `/api/v1/schedules/${existing}/trigger`, { overlap: 'never' }, 400, 'overlap'],
    ['POST', `/api/v1/schedules/${existing}/pause`, { note: 5 }, 400, 'note'],
    ['POST', `/api/v1/schedules/no-such-schedule/pause`, undefined, 404, ''],
    ['POST', `/api/v1/schedules/${existing}/backfill`, undefined, 400, 'from'],
    ['POST', `/api/v1/schedules/${existing}/backfill`, { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, 400, 'to'],
    ['POST', `/api/v1/schedules/${existing}/backfill`, { from: 'yesterday', to: '2024-01-01T00:00:00Z' }, 400, 'from'],
    ['POST', `/api/v1/schedules/${existing}/backfill`, { from: '2024-01-01T00:00:00', to: '2024-01-02T00:00:00Z' }, 400, 'from'],
    ['POST', `/api/v1/schedules/${existing}/backfill`, { from: '2024-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z' }, 400, 'to'],
    ['POST', `/api/v1/schedules/${existing}/backfill`, { from: '0001-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, 400, 'from'],
    ['POST', `/api/v1/schedules/${existing}/backfill`, { from: 1, to: 2 }, 400, 'from'],
    ['POST', `/api/v1/schedules/${existing}/backfill`, { from: '2024-01-01T00:00:00Z', to: '2024-01-02T00:00:00Z', extra: 1 }, 400, 'extra'],
  ];
  for (const [method, path, body, status, p] of other) {
    const r = await api.call(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 100)}: ${JSON.stringify(r.json)}`);
    if (p) assert.ok(r.json.errors.some((e: { path: string }) => e.path === p), `${method} ${path}: expected ${p} in ${JSON.stringify(r.json.errors)}`);
  }
  // A range holding more runs than a backfill may start.
  const every = (await createSchedule(name, { interval: '1m', overlap: 'skip', paused: true })).json.id as string;
  const huge = await api.call('POST', `/api/v1/schedules/${every}/backfill`, { from: '2020-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' });
  assert.equal(huge.status, 400, JSON.stringify(huge.json));
  assert.equal(huge.json.errors[0].path, 'from');
  assert.match(huge.json.errors[0].message, /at least 1000 runs/);
  const openapi = await api.call('GET', '/api/v1/openapi.json');
  for (const p of ['/api/v1/pipelines/{name}/schedules', '/api/v1/schedules', '/api/v1/schedules/{id}', '/api/v1/schedules/{id}/backfill', '/api/v1/schedules/{id}/trigger']) {
    assert.ok(openapi.json.paths[p], `${p} is in the OpenAPI document`);
  }
});
