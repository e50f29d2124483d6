// The console's run page shows a node's rejected records in a real browser: for a central node a
// sample with each record's reason (read by the central worker), for a node on a site where the site
// keeps them and how to read them there, with no record fetched from the site.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { ensureConsoleBuilt } from '../scripts/build-console.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { rejectingPipeline } from './helpers/pipelines.js';
import { chromiumPath, openBrowser, signInToConsole, type TestBrowser } from './helpers/browser.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let central: RunningWorker;
let siteWorker: RunningWorker;
let browser: TestBrowser;
const taskQueue = uniqueName('console-rejected');
const site = uniqueName('plant');

before(async () => {
  chromiumPath();
  await ensureConsoleBuilt();
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  const secrets = { REJ_DB: db.url };
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: { ...process.env, ...secrets } });
  siteWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site, env: { ...process.env, ...secrets } });
  api = await startTestApi({ store, client: env.client, taskQueue });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await api?.close();
  await siteWorker?.stop();
  await central?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

const pipeline = (name: string, site?: string) => rejectingPipeline(name, { rows: 50, batch: 20, maxBad: 10, site });

async function completedRun(name: string, where?: string): Promise<string> {
  const runId = await api.startPipelineRun(pipeline(name, where));
  const done = await api.runWhere(runId, 'the run to end', (v) => v.status === 'completed' || v.status === 'failed', 60_000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  return runId;
}

async function openNode(page: Page, runId: string, node: string): Promise<void> {
  await page.goto(`${api.url}/runs/${encodeURIComponent(runId)}`);
  await page.getByRole('button', { name: `Logs of ${node}` }).click();
}

test('the run page shows a central node\'s rejected records with their reasons, and says a site node\'s stay on the site', { timeout: 180_000 }, async () => {
  const centralRun = await completedRun(uniqueName('rej-central'));
  const siteRun = await completedRun(uniqueName('rej-site'), site);

  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(e.message));
  await signInToConsole(page, api.url, await api.makeKey('viewer'));

  await openNode(page, centralRun, 'check');
  const panel = page.getByRole('region', { name: 'rejected records of check' });
  await panel.locator('tbody tr').first().waitFor();
  assert.match((await panel.getByRole('heading').textContent()) ?? '', /5 in all/);
  const rows = await panel.locator('tbody tr').allTextContents();
  assert.equal(rows.length, 5);
  for (const [i, row] of rows.entries()) {
    assert.match(row, /status: "bad" is not one of ok/);
    assert.match(row, new RegExp(`"id":${(i + 1) * 10}\\b`));
  }
  // A node without bad records has no such section.
  await page.getByRole('button', { name: 'Logs of extract' }).click();
  await page.getByRole('heading', { name: /Logs of node extract/ }).waitFor();
  assert.equal(await page.getByRole('region', { name: /rejected records of/ }).count(), 0);

  await openNode(page, siteRun, 'check');
  const onSite = page.getByRole('region', { name: 'rejected records of check' });
  await onSite.getByText(`These records stay on site ${site}`).waitFor();
  assert.match((await onSite.textContent()) ?? '', /sluice rejected/);
  assert.equal(await onSite.locator('tbody tr').count(), 0, 'no record of the site is shown centrally');
  assert.deepEqual(errors, []);
  await page.close();
});
