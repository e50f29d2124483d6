// The `sluice` commands that talk to the REST API, run as a user runs them (bin/sluice.js in its own
// process, SLUICE_API_URL and SLUICE_API_KEY in its environment) against the real API, a real
// PostgreSQL store, the real Temporal server and a real central worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueKey } from '../src/api/auth/keys.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { rowsActivity, rowsCatalog, testActivities } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';

const SLUICE = path.join(import.meta.dirname, '..', 'bin', 'sluice.js');
const BATCHES = 20;

const catalog = rowsCatalog;

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let central: RunningWorker;
let key: string;
const taskQueue = uniqueName('cli-api');
/** Everything the commands printed, to check that the key never shows. */
const printed: string[] = [];

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue, metadata: store, extraActivities: { ...testActivities, 'test.rows': rowsActivity(BATCHES, 200) } });
  api = await startTestApi({ store, client: env.client, taskQueue, catalog });
  key = await api.makeKey('operator');
});

after(async () => {
  await api?.close();
  await central?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sluice ...` in its own process (the API and worker live in this one, so never spawnSync). */
function sluice(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Result> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, SLUICE_API_URL: api.url, SLUICE_API_KEY: key, ...extraEnv };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SLUICE, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r: Result) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

async function register(spec: { name: string; [k: string]: unknown }): Promise<void> {
  const created = await api.call('POST', '/api/v1/pipelines', spec);
  assert.equal(created.status, 201, JSON.stringify(created.json));
}

test('run --follow prints a plain line per change and exits 0 when the run completes; runs lists it', async () => {
  const name = uniqueName('cli-ok');
  await register({ name, nodes: [{ id: 'rows', type: 'test.rows' }, { id: 'nap', type: 'control.sleep', needs: ['rows'], config: { ms: 300 } }] });
  const r = await sluice(['run', name, '--follow']);
  assert.equal(r.code, 0, show(r));
  assert.ok(!r.stdout.includes('\x1b'), 'no ANSI codes when stdout is not a terminal');
  const runId = /started run (\S+)/.exec(r.stderr)?.[1];
  assert.ok(runId?.startsWith(`${name}-`), show(r));
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.some((l) => /^rows: running, /.test(l)), show(r));
  // Rows as they grow, with a rate and the time so far.
  assert.ok(lines.some((l) => /^rows: running, [1-9][\d,]* rows, [\d,]+ rows\/s, \d/.test(l)), show(r));
  assert.ok(lines.includes(lines.find((l) => /^rows: succeeded, 2,000 rows, [\d,]+ rows\/s, \d/.test(l)) ?? '(none)'), show(r));
  assert.ok(lines.some((l) => /^nap: succeeded, 0 rows, \d/.test(l)), show(r));
  assert.match(lines.at(-1)!, new RegExp(`^run ${runId}: completed, [\\d.]+s \\(2 nodes: 2 succeeded; rows in 2,000, out 2,000\\)$`));
  // One line per change: the same state and rows are never printed twice in a row.
  const nodeLines = lines.filter((l) => l.startsWith('nap:'));
  assert.equal(new Set(nodeLines.map((l) => l.split(', ')[0])).size, nodeLines.length, show(r));

  const list = await sluice(['runs', '--pipeline', name]);
  assert.equal(list.code, 0, show(list));
  const [header, row] = list.stdout.trim().split('\n');
  assert.match(header!, /^RUN\s+PIPELINE\s+STATUS\s+STARTED\s+TOOK$/);
  assert.match(row!, new RegExp(`^${runId}\\s+${name}\\s+completed\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+\\d`));
  const json = await sluice(['runs', '--pipeline', name, '--status', 'completed', '--limit', '5', '--json']);
  assert.equal(json.code, 0, show(json));
  assert.deepEqual(JSON.parse(json.stdout).runs.map((x: { runId: string }) => x.runId), [runId]);
});

test('run --follow of a failing run exits 1 and names the failed node; logs says where lines are when none came', async () => {
  const name = uniqueName('cli-fail');
  await register({ name, recoveryWindow: 0, nodes: [{ id: 'first', type: 'control.sleep', config: { ms: 10 } }, { id: 'boom', type: 'test.fail', needs: ['first'], config: { message: 'disk on fire' } }] });
  const r = await sluice(['run', name, '--follow']);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stdout, /^boom: failed/m);
  assert.match(r.stderr, /run \S+ failed: node "boom" failed: disk on fire/);
  assert.match(r.stderr, /^ {2}node boom failed: disk on fire$/m);
  const runId = /started run (\S+)/.exec(r.stderr)![1]!;

  const logs = await sluice(['logs', runId]);
  assert.equal(logs.code, 0, show(logs));
  assert.equal(logs.stdout, '');
  assert.match(logs.stderr, new RegExp(`no log lines of run ${runId} here`));
  assert.match(logs.stderr, /^central \(first, boom\): no worker of the central workers has sent logs here/m);
});

test('logs prints the lines workers shipped, by node, and --follow streams them until the run closes', async () => {
  const name = uniqueName('cli-logs');
  await register({ name, nodes: [{ id: 'extract', type: 'control.sleep', config: { ms: 10 } }, { id: 'load', type: 'control.sleep', needs: ['extract'], config: { ms: 3000 } }] });
  const runId = (await sluice(['run', name])).stdout.trim();
  assert.match(runId, new RegExp(`^${name}-[0-9a-f]{12}$`));
  // Lines come in as a central worker ships them: through POST /ingest/logs with a site key.
  const siteKey = (await issueKey(store, { name: 'central logs', role: 'viewer', pipelines: null, expiresInMs: null, createdBy: 'test', site: 'central' })).key;
  const ship = (seq: number, nodeId: string, level: string, msg: string, fields?: Record<string, unknown>) =>
    api.call('POST', '/api/v1/ingest/logs', { source: 'cli-test-source', site: 'central', lines: [{ seq, time: new Date().toISOString(), runId, nodeId, attempt: 1, level, msg, ...(fields ? { fields } : {}) }] }, { authorization: `Bearer ${siteKey}` });
  assert.equal((await ship(1, 'extract', 'info', 'node started', { type: 'control.sleep' })).status, 200);
  assert.equal((await ship(2, 'extract', 'warn', 'slow source')).status, 200);

  // Follow while the run goes: a line shipped after the stream opened shows up, and the stream ends when the run closes.
  const following = sluice(['logs', runId, '--follow']);
  await sleep(1500);
  assert.equal((await ship(3, 'load', 'info', 'node started')).status, 200);
  const followed = await following;
  assert.equal(followed.code, 0, show(followed));
  assert.match(followed.stdout, /^\S+Z extract#1 INFO {2}node started \{"type":"control\.sleep"\}$/m);
  assert.match(followed.stdout, /^\S+Z extract#1 WARN {2}slow source$/m);
  assert.match(followed.stdout, /^\S+Z load#1 INFO {2}node started$/m);
  assert.match(followed.stderr, /run closed: completed/);

  const all = await sluice(['logs', runId]);
  assert.equal(all.code, 0, show(all));
  assert.equal(all.stdout.trim().split('\n').length, 3, show(all));
  const byNode = await sluice(['logs', runId, '--node', 'extract', '--level', 'warn']);
  assert.deepEqual(byNode.stdout.trim().split('\n').map((l) => l.split(' ').slice(1).join(' ')), ['extract#1 WARN  slow source']);
});

test('pause, resume and cancel act on a run; acting on a closed run is exit 1 with the API\'s reason', async () => {
  const name = uniqueName('cli-act');
  await register({ name, nodes: [{ id: 'long', type: 'control.sleep', config: { ms: 60_000 } }] });
  const started = await sluice(['run', name]);
  assert.equal(started.code, 0, show(started));
  const runId = started.stdout.trim();
  await api.runWhere(runId, 'the node to run', (v) => v.nodes.long.state === 'running');

  const pause = await sluice(['pause', runId]);
  assert.equal(pause.code, 0, show(pause));
  assert.equal(pause.stdout.trim(), `pause requested for run ${runId}`);
  await api.runWhere(runId, 'the run to pause', (v) => v.status === 'paused');
  assert.equal((await sluice(['resume', runId])).stdout.trim(), `resume requested for run ${runId}`);
  await api.runWhere(runId, 'the run to resume', (v) => v.status === 'running' && v.nodes.long.state === 'running');
  assert.equal((await sluice(['cancel', runId])).stdout.trim(), `cancel requested for run ${runId}`);
  await api.runWhere(runId, 'the run to be cancelled', (v) => v.status === 'cancelled');

  const again = await sluice(['pause', runId]);
  assert.equal(again.code, 1, show(again));
  assert.match(again.stderr, /^sluice: .*\(HTTP 409\)$/m);
});

test('retry runs a failed node again; a node that is not failed is exit 2 at its path', async () => {
  const name = uniqueName('cli-retry');
  await register({ name, recoveryWindow: '1h', nodes: [{ id: 'ok', type: 'control.sleep', config: { ms: 10 } }, { id: 'boom', type: 'test.fail', needs: ['ok'], config: { message: 'still broken' } }] });
  const runId = (await sluice(['run', name])).stdout.trim();
  await api.runWhere(runId, 'the run to fail and wait for a retry', (v) => v.status === 'failed' && v.recoverableUntil);

  const wrong = await sluice(['retry', runId, '--node', 'ok']);
  assert.equal(wrong.code, 2, show(wrong));
  assert.match(wrong.stderr, /^ {2}nodes\[0\]: /m);

  const retry = await sluice(['retry', runId, '--node', 'boom']);
  assert.equal(retry.code, 0, show(retry));
  assert.equal(retry.stdout.trim(), `retrying run ${runId}: boom`);
  await api.runWhere(runId, 'the retried node to fail again', (v) => v.status === 'failed' && v.nodes.boom.earlierTries?.length === 1);
  assert.equal((await sluice(['cancel', runId])).code, 0);
});

test('schedules: create with typed params, list, trigger, backfill, pause and delete', async () => {
  const name = uniqueName('cli-sched');
  await register({ name, params: { n: { type: 'number', default: 1 } }, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 10 } }] });
  const id = uniqueName('cli-sched-id');
  const created = await sluice(['schedules', 'create', name, '--interval', '1h', '--overlap', 'skip', '--id', id, '--param', 'n=5', '--note', 'from the cli']);
  assert.equal(created.code, 0, show(created));
  assert.equal(created.stdout.trim(), id);
  assert.match(created.stderr, new RegExp(`schedule ${id}: pipeline ${name} version 1, every 1h, overlap skip`));

  try {
    const json = await sluice(['schedules', 'list', '--pipeline', name, '--json']);
    assert.equal(json.code, 0, show(json));
    const [listed] = JSON.parse(json.stdout).schedules;
    assert.equal(listed.id, id);
    assert.deepEqual(listed.params, { n: 5 }, 'a number param is sent as a number');
    const list = await sluice(['schedules', 'list', '--pipeline', name]);
    assert.match(list.stdout, /^ID\s+PIPELINE\s+VERSION\s+WHEN\s+OVERLAP\s+STATE\s+NEXT$/m);
    assert.match(list.stdout, new RegExp(`^${id}\\s+${name}\\s+1\\s+every 1h\\s+skip\\s+active\\s+\\d{4}-`, 'm'));

    const trigger = await sluice(['schedules', 'trigger', id]);
    assert.equal(trigger.code, 0, show(trigger));
    assert.match(trigger.stdout, new RegExp(`^trigger requested for schedule ${id}`));
    await waitFor(async () => {
      const runs = await sluice(['runs', '--schedule', id, '--json']);
      return JSON.parse(runs.stdout).runs.length >= 1;
    }, 'the triggered run to be listed', 30_000);

    const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 1000);
    const from = new Date(to.getTime() - 3 * 3_600_000);
    const backfill = await sluice(['schedules', 'backfill', id, '--from', from.toISOString(), '--to', to.toISOString()]);
    assert.equal(backfill.code, 0, show(backfill));
    assert.match(backfill.stdout, new RegExp(`^backfill of schedule ${id} from \\S+ to \\S+: 3 runs \\(overlap buffer_all\\)$`, 'm'));

    const pause = await sluice(['schedules', 'pause', id, '--note', 'maintenance']);
    assert.equal(pause.stdout.trim(), `pause requested for schedule ${id}`);
    assert.match((await sluice(['schedules', 'list', '--pipeline', name])).stdout, new RegExp(`^${id}\\s.*\\spaused`, 'm'));
  } finally {
    const deleted = await sluice(['schedules', 'delete', id]);
    assert.equal(deleted.code, 0, show(deleted));
  }
});

test('bad input is exit 2 with each path the API names; an unknown pipeline too', async () => {
  const name = uniqueName('cli-bad');
  await register({ name, params: { n: { type: 'number', default: 1 } }, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 10 } }] });

  const param = await sluice(['run', name, '--param', 'nope=1', '--param', 'n=abc']);
  assert.equal(param.code, 2, show(param));
  assert.match(param.stderr, /^sluice: .*\(HTTP 400\)$/m);
  assert.match(param.stderr, /^ {2}params\.nope: /m);
  assert.match(param.stderr, /^ {2}params\.n: /m);

  const cron = await sluice(['schedules', 'create', name, '--cron', 'every day', '--overlap', 'sometimes']);
  assert.equal(cron.code, 2, show(cron));
  assert.match(cron.stderr, /^ {2}cron: /m);
  assert.match(cron.stderr, /^ {2}overlap: expected one of skip/m);

  const missing = await sluice(['run', uniqueName('no-such')]);
  assert.equal(missing.code, 2, show(missing));
  assert.match(missing.stderr, /not found/);
});

test('without an API URL or key it says what to set; an unreachable API is a clear message; the key is never printed', async () => {
  const none = await sluice(['runs'], { SLUICE_API_URL: undefined, SLUICE_API_KEY: undefined });
  assert.equal(none.code, 2, show(none));
  assert.match(none.stderr, /set SLUICE_API_URL .* and SLUICE_API_KEY/);

  // The flags stand in for the variables.
  const flags = await sluice(['runs', '--limit', '1', '--api-url', api.url, '--api-key', key], { SLUICE_API_URL: undefined, SLUICE_API_KEY: undefined });
  assert.equal(flags.code, 0, show(flags));

  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  const down = await sluice(['run', 'anything', '--follow'], { SLUICE_API_URL: `http://127.0.0.1:${port}` });
  assert.equal(down.code, 1, show(down));
  assert.match(down.stderr, new RegExp(`^sluice: cannot reach the API at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`, 'm'));
  assert.doesNotMatch(down.stderr, /^\s+at /m, 'no stack trace');

  const wrongKey = await sluice(['runs'], { SLUICE_API_KEY: `${key.slice(0, -4)}AAAA` });
  assert.equal(wrongKey.code, 1, show(wrongKey));
  assert.match(wrongKey.stderr, /HTTP 401/);

  const secret = key.split('_')[2]!;
  for (const text of printed) assert.ok(!text.includes(secret), 'the key (its secret part) is never printed');
});
