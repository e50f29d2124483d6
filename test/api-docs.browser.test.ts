// The API reference at /api/docs in a real browser (headless Chromium through playwright-core):
// served without a key and without any outside address, it lists every operation of the OpenAPI
// document, and "Try it out" with an API key calls the real API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { openBrowser, type TestBrowser } from './helpers/browser.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let browser: TestBrowser;

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue: uniqueName('docs') });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

test('/api/docs renders every operation of the OpenAPI document, from this server only, without errors', async () => {
  const redirect = await fetch(`${api.url}/api/docs`, { redirect: 'manual' });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get('location'), '/api/docs/');
  const html = await fetch(`${api.url}/api/docs/`);
  assert.equal(html.status, 200, 'no key needed');
  assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const missing = await fetch(`${api.url}/api/docs/assets/..%2f..%2fpackage.json`);
  assert.equal(missing.status, 404, 'only the page and its listed files are served');
  assert.equal(missing.headers.get('content-type')?.split(';')[0], 'application/problem+json');

  const page = await browser.context.newPage();
  const problems: string[] = [];
  const outside: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => void (!r.url().startsWith(api.url) && !r.url().startsWith('data:') && outside.push(r.url())));
  await page.goto(`${api.url}/api/docs/`);
  await page.waitForSelector('.opblock');

  const doc = (await api.call('GET', '/api/v1/openapi.json')).json;
  const expected = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  const shown = (await page.$$eval('.opblock', (els) => els.map((e) => `${e.querySelector('.opblock-summary-method')?.textContent} ${e.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`))).sort();
  assert.ok(expected.length >= 30);
  assert.deepEqual(shown, expected);
  assert.ok(await page.isVisible('text=Sluice API'));
  assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  assert.deepEqual(outside, [], 'nothing loaded from another address');
  await page.close();
});

test('"Try it out" with an API key (Authorize) lists pipelines from the real API; without one it is a 401', async () => {
  const name = uniqueName('docs-pipe');
  assert.equal((await api.client.POST('/api/v1/pipelines', { body: { name, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 1 } }] } })).response.status, 201);
  const page = await browser.context.newPage();
  await page.goto(`${api.url}/api/docs/#/pipelines/getPipelines`);
  const op = page.locator('#operations-pipelines-getPipelines');
  await op.waitFor();
  if (!(await op.locator('.try-out__btn').isVisible())) await op.locator('.opblock-summary').click();
  await op.locator('.try-out__btn').click();
  await op.locator('button.execute').click();
  await op.locator('.live-responses-table tbody .response-col_status').first().waitFor();
  assert.equal((await op.locator('.live-responses-table tbody .response-col_status').first().textContent())?.trim().slice(0, 3), '401');

  await page.locator('button.authorize').first().click();
  await page.locator('.modal-ux input[type=text], .modal-ux input[type=password]').first().fill(api.adminKey);
  await page.locator('.modal-ux button.authorize').click();
  await page.locator('.modal-ux button.btn-done, .modal-ux .close-modal').first().click();
  await op.locator('button.execute').click();
  await page.waitForFunction((n) => document.querySelector('#operations-pipelines-getPipelines .live-responses-table')?.textContent?.includes(n), name);
  assert.equal((await op.locator('.live-responses-table tbody .response-col_status').first().textContent())?.trim().slice(0, 3), '200');
  await page.close();
});
