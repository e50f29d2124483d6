// The console in a real browser against the real API, a real Temporal server, a real PostgreSQL
// and a real central worker that ships its nodes' log lines to the API: sign in with a key (a bad
// one is refused with a message), find a pipeline, start a run from its params form, watch a
// postgres.read node run with a row count that moves and succeed, pause and resume from the run's
// page, read the node's log lines as they stream, and a viewer key gets no run buttons. The page
// logs no console error, and its screenshots go to docs/console/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { issueKey } from '../src/api/auth/keys.js';
import { createLogger } from '../src/log.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { LogShipper } from '../src/worker/logs/shipper.js';
import type { RunInput } from '../src/workflows/messages.js';
import { ensureConsoleBuilt } from '../scripts/build-console.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { chromiumPath, openBrowser, signInToConsole, type TestBrowser } from './helpers/browser.js';
import { createSlowFilter, createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';

const ROWS = 30_000;
const SHOTS = path.join(import.meta.dirname, '..', 'docs', 'console');

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let shipper: LogShipper;
let worker: RunningWorker;
let browser: TestBrowser | null = null;
const taskQueue = uniqueName('console');
const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-console-logs-'));
const pipeline = uniqueName('console-orders');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

before(async () => {
  chromiumPath(); // installs Debian's chromium on a machine that lacks it, before any timing starts
  await ensureConsoleBuilt();
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  // A read that sleeps 0.3 s every 1,000 rows: about 9 s, long enough to pause in the middle. Analyzed,
  // so the planner reads by the primary key (rows stream out) rather than filter all, then sort.
  await createSlowFilter(db);
  await db.pool.query(`CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL); INSERT INTO items SELECT g, 'order-' || g FROM generate_series(1, ${ROWS}) g; ANALYZE items`);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue });
  const siteKey = (await issueKey(store, { name: 'central logs', role: 'viewer', pipelines: null, expiresInMs: null, createdBy: 'test', site: 'central' })).key;
  shipper = await LogShipper.start({ apiUrl: api.url, key: siteKey, site: 'central', dir: spoolDir, maxBytes: 16 * 1024 * 1024, logger: createLogger('silent'), flushMs: 200 });
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, logShipper: shipper, metadata: store, env: { ...process.env, CONSOLE_TEST_DB: db.url } });
});

after(async () => {
  await browser?.close();
  await worker?.stop();
  await shipper?.close();
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
  fs.rmSync(spoolDir, { recursive: true, force: true });
});

const spec = {
  name: pipeline,
  description: `Orders for the console test ${HOSTILE}`,
  params: {
    region: { type: 'string', default: 'eu', description: 'where the orders come from' },
    batch: { type: 'number', default: 1 },
  },
  nodes: [
    {
      id: 'extract',
      type: 'postgres.read',
      config: {
        connection: { $secret: 'CONSOLE_TEST_DB' },
        table: 'items',
        // Each batch (keyset over the primary key) sleeps once: the row count moves every 0.3 s.
        where: 'slow_every(id, 1000, 0.3)',
        batchSize: 1000,
      },
    },
    { id: 'settle', type: 'control.sleep', needs: ['extract'], config: { ms: 10 } },
  ],
};

/** The text of the run page's row of `node` (its state, attempt, rows...). */
const nodeRow = (page: Page, node: string) => page.locator(`tr[data-node="${node}"]`);
const rowsIn = async (page: Page, node: string) => Number(((await nodeRow(page, node).locator('td.num').first().textContent()) ?? '').replace(/,/g, ''));

const signIn = (page: Page, key: string): Promise<void> => signInToConsole(page, api.url, key);

test('sign in, start a run from the params form, watch rows move, pause and resume it, read its logs, with no console error', { timeout: 240_000 }, async () => {
  assert.equal((await api.call('POST', '/api/v1/pipelines', spec)).status, 201);
  assert.equal((await api.call('POST', '/api/v1/pipelines', { name: uniqueName('console-other'), nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 1 } }] })).status, 201);
  const operator = await api.makeKey('operator');

  browser = await openBrowser();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: { text: string; url: string }[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push({ text: msg.text(), url: msg.location().url });
  });
  page.on('pageerror', (err) => errors.push({ text: `page error: ${err.message}`, url: '' }));

  // The page is served with its own strict CSP; the API keeps default-src 'none'.
  const first = await page.goto(`${api.url}/`);
  assert.equal(first?.status(), 200);
  const csp = first?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self' 'nonce-[A-Za-z0-9+/=]{24}';/, 'styles: files, and the one nonced <style> of CodeMirror');
  assert.ok(!csp.includes('unsafe'), csp);

  // A bad key: a message, not a crash, and nothing kept.
  await page.getByLabel('API key').fill('sk_0123456789abcdef_not-a-real-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'This key was not accepted' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  await page.getByLabel('API key').fill(operator);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.match(await page.locator('header').innerText(), /operator/);

  // The list: search narrows it to our pipeline, whose description is shown as text.
  await page.getByRole('link', { name: pipeline }).waitFor();
  await page.getByLabel('Search').fill(pipeline);
  await waitFor(async () => (await page.locator('table.grid tbody tr').count()) === 1, 'the search to leave one pipeline');
  assert.match(await page.locator('table.grid tbody').innerText(), new RegExp(`${pipeline}[\\s\\S]*v1[\\s\\S]*no runs yet`));
  assert.ok((await page.locator('table.grid tbody').innerText()).includes(HOSTILE), 'hostile text is shown as text');
  assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
  await page.getByLabel('Search').fill('');
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'pipelines.png') });

  // The pipeline page: the DAG, the YAML, the params form.
  await page.getByRole('link', { name: pipeline }).click();
  await page.waitForURL(`**/pipelines/${pipeline}`);
  await page.locator('.react-flow__node').nth(1).waitFor();
  assert.deepEqual((await page.locator('.react-flow__node [data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')))).sort(), ['extract', 'settle']);
  assert.equal(await page.locator('.react-flow__edge').count(), 1, 'one edge: extract -> settle');
  await waitFor(async () => (await page.locator('.cm-content').innerText()).includes('postgres.read'), 'the YAML to show');
  assert.equal(await page.getByLabel(/^region/).inputValue(), 'eu', 'the param is prefilled with its default');
  await page.getByLabel(/^region/).fill('us-west');
  await page.getByLabel(/^batch/).fill('7');
  // The whole page, at a viewport that tall (a fullPage capture resizes under CodeMirror, whose
  // gutter is measured a frame later).
  await page.setViewportSize({ width: 1280, height: await page.evaluate(() => document.documentElement.scrollHeight) });
  await new Promise((r) => setTimeout(r, 300));
  await page.screenshot({ path: path.join(SHOTS, 'pipeline.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL('**/runs/**');
  const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  assert.ok(runId.startsWith(`${pipeline}-`), runId);
  const history = await env.client.workflow.getHandle(runId).fetchHistory();
  const input = (await env.client.options.loadedDataConverter.payloadConverter.fromPayload(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!)) as RunInput;
  assert.deepEqual(input.params, { region: 'us-west', batch: 7 }, 'the form sent typed params');

  // Live: the node runs and its row count moves, on the table and on the DAG.
  await waitFor(async () => (await nodeRow(page, 'extract').innerText()).includes('running') && (await rowsIn(page, 'extract')) > 0, 'the node to run with rows', 60_000).catch(async (err) => {
    console.error(JSON.stringify((await api.call('GET', `/api/v1/runs/${runId}`)).json), await page.locator('main').innerText());
    throw err;
  });
  const early = await rowsIn(page, 'extract');
  await waitFor(async () => (await rowsIn(page, 'extract')) > early, 'the row count to move');
  assert.match(await page.locator('.react-flow__node.state-running [data-node="extract"]').innerText(), /running · [\d,]+ rows/);
  assert.ok((await page.locator('.react-flow__node.state-pending').count()) === 1, 'settle waits');
  await page.screenshot({ path: path.join(SHOTS, 'run.png'), fullPage: true });

  // Pause and resume from the page.
  await page.getByRole('button', { name: 'Pause' }).click();
  await waitFor(async () => (await page.locator('h1').innerText()).includes('paused') && (await nodeRow(page, 'extract').innerText()).includes('paused'), 'the run and node to pause');
  const atPause = await rowsIn(page, 'extract');
  assert.ok(atPause > 0 && atPause < ROWS, `paused mid-node at ${atPause} rows`);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(await rowsIn(page, 'extract'), atPause, 'no rows move while paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await waitFor(async () => (await nodeRow(page, 'extract').innerText()).includes('succeeded'), 'the node to succeed after resuming', 90_000);
  assert.equal(await rowsIn(page, 'extract'), ROWS);
  await waitFor(async () => (await page.locator('h1').innerText()).includes('completed'), 'the run to complete');
  assert.equal(await page.getByRole('button', { name: 'Pause' }).count(), 0, 'no pause button on a closed run');

  // The node's logs, from the worker through the API's stream.
  await page.getByRole('button', { name: 'Logs of extract' }).click();
  await waitFor(async () => (await page.locator('ol.log-lines').innerText()).includes('node started'), "the node's log lines", 30_000);
  const logText = await page.locator('ol.log-lines').innerText();
  assert.match(logText, /extract#1 info node started/);
  assert.match(logText, /node stopped at a checkpoint/, 'the pause shows in the log');
  assert.ok(!logText.includes('settle#'), "only that node's lines");

  // Back to the list: the run's outcome is there at a glance.
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Runs' }).click();
  await page.getByLabel('Pipeline').selectOption(pipeline);
  await page.getByRole('link', { name: runId }).waitFor();
  await page.getByLabel('Status').selectOption('failed');
  await page.getByText('No runs match these filters').waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'the key is forgotten');

  // The only console error is the browser's own report of the refused bad key.
  const unexpected = errors.filter((e) => !(e.url.endsWith('/api/v1/whoami') && e.text.includes('401')));
  assert.deepEqual(unexpected, []);
  assert.ok(errors.length <= 1, JSON.stringify(errors));
});

test('a viewer key sees pipelines and runs but gets no run or pause buttons', { timeout: 60_000 }, async () => {
  const viewer = await api.makeKey('viewer');
  browser ??= await openBrowser();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  await signIn(page, viewer);
  assert.match(await page.locator('header').innerText(), /viewer/);
  // A deep link works: the API serves the console's page for it.
  await page.goto(`${api.url}/pipelines/${pipeline}`);
  const start = page.getByRole('button', { name: 'Start run' });
  await start.waitFor();
  assert.ok(await start.isDisabled());
  assert.match(await page.locator('form.params').innerText(), /needs the operator role; this key has viewer/);
  assert.deepEqual(errors, []);
});
