// Notifications on a real Temporal dev server with a real HTTP receiver: a failing run sends one
// signed webhook and one Slack message; a receiver that fails is retried without holding the run;
// a run still going past its sla says so. Secret values never reach workflow history.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { temporalEnv, uniqueName, waitFor, type TemporalTestEnv } from './helpers/env.js';
import { spec, startRun, testActivities } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { signature } from '../src/worker/notify.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

const HOOK_KEY = 'whsec-test-5f0c2e9a41';
let env: TemporalTestEnv;
let worker: RunningWorker;
let receiver: http.Server;
let base = '';
const received: Received[] = [];
/** Answers to give, by path, before answering 200. */
const failFirst = new Map<string, number>();
const taskQueue = uniqueName('notify');

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, headers: req.headers, body, at: Date.now() });
      const left = failFirst.get(path) ?? 0;
      if (left > 0) failFirst.set(path, left - 1);
      res.writeHead(left > 0 ? 503 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  env = await temporalEnv();
  worker = await startWorker(env.address, {
    namespace: env.namespace,
    taskQueue,
    extraActivities: testActivities,
    env: { ...process.env, HOOK_KEY, SLACK_HOOK: `${base}/slack/T000/B000/secretpart`, SLUICE_PUBLIC_URL: 'http://sluice.example:8080/' },
  });
});

after(async () => {
  await worker?.stop();
  await env?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** A history as text, payload bytes decoded. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (key, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
  );
}

const at = (path: string): Received[] => received.filter((r) => r.path.startsWith(path));

describe('notifications', () => {
  test('a failing run sends one signed webhook and one Slack message; no secret value is in its history', async () => {
    const s = spec({
      name: uniqueName('notify-fail'),
      notify: [
        { on: ['failed'], webhook: { url: `${base}/hook/fail`, secret: { $secret: 'HOOK_KEY' } } },
        { on: ['failed', 'succeeded'], slack: { url: { $secret: 'SLACK_HOOK' } } },
      ],
      nodes: [
        { id: 'first', type: 'control.sleep', config: { ms: 10 } },
        { id: 'boom', type: 'test.fail', needs: 'first', config: { message: 'the table is gone' } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, s);
    await assert.rejects(handle.result());
    const [hook] = await waitFor(async () => (at('/hook/fail').length > 0 ? at('/hook/fail') : null), 'the webhook');
    const slack = await waitFor(async () => at('/slack/').at(0), 'the Slack message');

    const timestamp = Number(hook!.headers['sluice-timestamp']);
    assert.ok(Math.abs(timestamp - Date.now() / 1000) < 60, 'a current timestamp');
    assert.equal(hook!.headers['sluice-signature'], signature(HOOK_KEY, timestamp, hook!.body), 'the receiver can verify the body');
    assert.notEqual(hook!.headers['sluice-signature'], signature('another key', timestamp, hook!.body));
    assert.equal(hook!.headers['sluice-event'], 'failed');
    const body = JSON.parse(hook!.body) as Record<string, unknown>;
    assert.equal(body.event, 'failed');
    assert.equal(body.runId, handle.workflowId);
    assert.equal(body.pipeline, s.name);
    assert.equal(body.status, 'failed');
    assert.match(String(body.error), /node "boom" failed: the table is gone/);
    assert.deepEqual(body.failedNodes, [{ id: 'boom', error: 'the table is gone' }]);
    assert.equal(body.link, `http://sluice.example:8080/api/v1/runs/${handle.workflowId}`);

    const text = (JSON.parse(slack.body) as { text: string }).text;
    assert.match(text, new RegExp(`pipeline ${s.name} run <http://sluice\\.example:8080/api/v1/runs/${handle.workflowId}\\|${handle.workflowId}> failed: boom \\(the table is gone\\)`));
    assert.equal(slack.headers['sluice-signature'], undefined);

    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(at('/hook/fail').length, 1, 'exactly one webhook');
    assert.equal(at('/slack/').length, 1, 'and one Slack message (succeeded never happened)');
    for (const id of [handle.workflowId, `${handle.workflowId}/notify/1.1-failed`]) {
      const h = historyText(await env.client.workflow.getHandle(id).fetchHistory());
      assert.ok(h.includes('HOOK_KEY') && h.includes('$secret'), 'the secret is there by name');
      assert.ok(!h.includes(HOOK_KEY), 'no signing key in history');
      assert.ok(!h.includes('secretpart'), 'no secret URL in history');
    }
  });

  test('a receiver that fails is retried without holding the run; each try carries the same delivery id', async () => {
    failFirst.set('/hook/flaky', 2);
    const s = spec({
      name: uniqueName('notify-retry'),
      notify: [{ on: ['succeeded'], webhook: { url: `${base}/hook/flaky` } }],
      nodes: [{ id: 'only', type: 'control.sleep', config: { ms: 10 } }],
    });
    const handle = await startRun(env.client, taskQueue, s);
    await handle.result();
    const closedAt = Date.now();
    const tries = await waitFor(async () => (at('/hook/flaky').length >= 3 ? at('/hook/flaky') : null), 'three tries', 30_000);
    assert.equal(tries.length, 3);
    assert.ok(tries[2]!.at > closedAt, 'the run closed before the delivery succeeded');
    assert.equal(new Set(tries.map((t) => t.headers['sluice-delivery'])).size, 1);
    assert.equal(tries[0]!.headers['sluice-signature'], undefined, 'unsigned without a secret');
  });

  test('a run still going past its sla sends slaMissed once, then its outcome', async () => {
    const s = spec({
      name: uniqueName('notify-sla'),
      sla: '2s',
      notify: [{ on: ['slaMissed', 'succeeded'], webhook: { url: `${base}/hook/sla` } }],
      nodes: [{ id: 'slow', type: 'control.sleep', config: { ms: 5_000 } }],
    });
    const handle = await startRun(env.client, taskQueue, s);
    const missed = await waitFor(async () => at('/hook/sla').at(0), 'slaMissed');
    const body = JSON.parse(missed.body) as Record<string, unknown>;
    assert.equal(body.event, 'slaMissed');
    assert.equal(body.status, 'running');
    assert.equal(body.slaMs, 2_000);
    await handle.result();
    const events = await waitFor(async () => (at('/hook/sla').length >= 2 ? at('/hook/sla') : null), 'succeeded');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(at('/hook/sla').map((r) => (JSON.parse(r.body) as { event: string }).event), ['slaMissed', 'succeeded']);
    assert.equal(events.length, 2);
  });
});
