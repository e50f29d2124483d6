// The console's spec editor, versions and schedules in a real browser against the real API, a real
// Temporal server (schedules are Temporal Schedules) and a real PostgreSQL: an author breaks a
// pipeline's YAML (a `needs` naming an unknown node, a config field the node does not have), saves,
// and sees each 422 error drawn on its line in the editor and listed; a syntax error shows its line
// too; the fixed spec saves as version 2, the versions list shows both and the diff the changed
// line; the schedule made through the API is on the pipeline page and the list; a viewer's Save is
// disabled with the reason. No console error. Writes docs/console/editor.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { ensureConsoleBuilt } from '../scripts/build-console.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { chromiumPath, openBrowser, signInToConsole, type TestBrowser } from './helpers/browser.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';

const SHOTS = path.join(import.meta.dirname, '..', 'docs', 'console');

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let browser: TestBrowser | null = null;
const pipeline = uniqueName('console-edit');
const scheduleId = `${pipeline}-hourly`;

before(async () => {
  chromiumPath();
  await ensureConsoleBuilt();
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue: uniqueName('console-edit') });
});

after(async () => {
  await api?.call('DELETE', `/api/v1/schedules/${scheduleId}`).catch(() => undefined);
  await browser?.close();
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

const yamlOf = (needs: string, secondConfig: string) => `name: ${pipeline}
description: the editor test
nodes:
  - id: first
    type: control.sleep
    config:
      ms: 1
  - id: second
    type: control.sleep
    needs: [${needs}]
    config:
      ${secondConfig}
`;

/** 1-based line numbers of the lines that hold an API error mark in the editor. */
const markedLines = (page: Page) =>
  page.locator('.yaml-edit').evaluate((root) => {
    const lines = [...root.querySelectorAll('.cm-content > .cm-line')];
    return [...new Set([...root.querySelectorAll('.cm-server-error')].map((m) => lines.indexOf(m.closest('.cm-line')!) + 1))].sort((a, b) => a - b);
  });

const signIn = (page: Page, key: string): Promise<void> => signInToConsole(page, api.url, key);

async function setText(page: Page, text: string): Promise<void> {
  // As a paste of the whole text over a selection of all: CodeMirror takes the clipboard's text.
  // (Playwright's fill() edits the contenteditable through the browser's editing commands, which
  // add style attributes of their own that the CSP rightly refuses.)
  const content = page.locator('.yaml-edit .cm-content');
  await content.click();
  await content.press('Control+a');
  await content.evaluate((el, t) => {
    const data = new DataTransfer();
    data.setData('text/plain', t);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
  await waitFor(async () => (await content.innerText()).replace(/\u00a0/g, ' ').trim() === text.trim(), 'the editor to hold the new text');
}

test('edit a spec: 422 errors at their lines, a syntax error, a new version, its diff, the schedules', { timeout: 180_000 }, async () => {
  assert.equal((await api.call('POST', '/api/v1/pipelines', { name: pipeline, description: 'the editor test', nodes: [{ id: 'first', type: 'control.sleep', config: { ms: 1 } }, { id: 'second', type: 'control.sleep', needs: ['first'], config: { ms: 1 } }] })).status, 201);
  const made = await api.call('POST', `/api/v1/pipelines/${pipeline}/schedules`, { id: scheduleId, interval: '1h', overlap: 'skip', note: 'hourly <b>check</b>' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const author = await api.makeKey('author');

  browser = await openBrowser();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(`${msg.text()} ${msg.location().url}`));
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  await signIn(page, author);

  // The list shows the schedule at a glance (Temporal's listing may take a moment).
  await waitFor(
    async () => {
      await page.goto(`${api.url}/pipelines`);
      await page.getByRole('link', { name: pipeline }).waitFor();
      const row = page.locator('table.grid tbody tr').filter({ has: page.getByRole('link', { name: pipeline }) });
      await waitFor(async () => !(await row.innerText()).includes('…'), 'the schedules to load');
      return (await row.innerText()).includes('every 1h');
    },
    'the schedule on the pipelines list',
    30_000,
  );

  await page.getByRole('link', { name: pipeline }).click();
  await page.waitForURL(`**/pipelines/${pipeline}`);
  const content = page.locator('.yaml-edit .cm-content');
  await waitFor(async () => (await content.innerText()).includes('control.sleep'), 'the YAML in the editor');

  // Schedules of this pipeline, with their next run times; the note is text.
  const schedule = page.locator(`tr[data-schedule="${scheduleId}"]`);
  await schedule.waitFor();
  const scheduleText = await schedule.innerText();
  assert.match(scheduleText, /every 1h/);
  assert.match(scheduleText, /active/);
  assert.match(scheduleText, /\d\d\/\d\d\/\d{4}, \d\d:\d\d:\d\d/, 'a next run time');
  assert.ok(scheduleText.includes('hourly <b>check</b>'), 'the note is shown as text');

  // A valid spec: the schema's checks as you type find nothing wrong.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await page.locator('.yaml-edit .cm-lintRange-error').count(), 0, 'no schema error on a valid spec');

  // Completion from the schema: in a node, a key it may have and lacks (the text is replaced below).
  await content.click();
  await content.press('Control+Home');
  for (let i = 0; i < 4; i++) await content.press('ArrowDown');
  await content.press('End');
  await content.press('Enter');
  await page.keyboard.type('ret');
  const completions = page.locator('.cm-tooltip-autocomplete');
  await completions.waitFor();
  await waitFor(async () => (await completions.innerText()).includes('retry'), "the schema's keys offered");
  await content.press('Escape');
  const saveButton = page.getByRole('button', { name: 'Save', exact: true });
  assert.ok(await saveButton.isEnabled());

  // Broken: a `needs` that names no node, and a config field control.sleep does not have.
  const broken = yamlOf('frist', 'mss: 5');
  await setText(page, broken);
  // The schema's own checks see the wrong config field as it is typed, before any save.
  await waitFor(async () => (await page.locator('.yaml-edit .cm-lintRange-error').count()) > 0, 'the schema check to mark the unknown field');
  assert.equal(await page.locator('.yaml-edit .cm-server-error').count(), 0);
  await saveButton.click();
  const list = page.getByRole('list', { name: 'errors', exact: true });
  await list.waitFor();
  const listed = await list.innerText();
  const brokenLines = broken.split('\n');
  const needsLine = brokenLines.findIndex((l) => l.includes('needs: [frist]')) + 1;
  const configLine = brokenLines.findIndex((l) => l.includes('mss: 5')) + 1;
  assert.match(listed, new RegExp(`line ${needsLine}: nodes\\[1\\]\\.needs\\[0\\]: .*frist`), listed);
  assert.match(listed, new RegExp(`line ${configLine}: nodes\\[1\\]\\.config`), listed);
  await waitFor(async () => (await markedLines(page)).length >= 2, 'the errors drawn in the editor');
  const lines = await markedLines(page);
  assert.ok(lines.includes(needsLine), `the needs error on line ${needsLine}: ${lines}`);
  assert.ok(lines.includes(configLine), `the config error on line ${configLine}: ${lines}`);
  // The gutter marks the same lines.
  assert.ok((await page.locator('.yaml-edit .cm-lint-marker-error').count()) >= 2);
  await page.locator('section.editor').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, 'editor.png') });

  // A syntax error: the API's 400 names the line.
  await setText(page, `name: ${pipeline}\nnodes:\n  - id: a\n    config: {ms: 1\n`);
  await saveButton.click();
  await waitFor(async () => /does not parse/.test(await page.locator('.save-errors').innerText()), 'the syntax error');
  assert.match(await page.getByRole('list', { name: 'errors', exact: true }).innerText(), /line \d+: body: /);

  // Fixed, with a changed line: version 2.
  await setText(page, yamlOf('first', 'ms: 5'));
  await saveButton.click();
  await page.getByText(`Saved as version 2 of ${pipeline}.`).waitFor();
  assert.equal(await page.locator('.yaml-edit .cm-server-error').count(), 0, 'the errors are gone');
  // Versions: both, and the diff of v1 and v2 shows the changed line removed and added.
  const versions = page.getByRole('list', { name: `versions of ${pipeline}` });
  await waitFor(async () => (await versions.locator('li').count()) === 2, 'two versions');
  assert.match(await versions.innerText(), /v2 \(latest\)[\s\S]*v1/);
  const diff = page.getByRole('list', { name: 'diff of version 1 and version 2' });
  await diff.waitFor();
  const removed = await diff.locator('li.diff-removed').allInnerTexts();
  const added = await diff.locator('li.diff-added').allInnerTexts();
  assert.equal(removed.length, 1, removed.join('\n'));
  assert.equal(added.length, 1, added.join('\n'));
  assert.match(removed[0]!, /−\s*removed:\s+ms: 1/);
  assert.match(added[0]!, /\+\s*added:\s+ms: 5/);
  assert.equal(await diff.locator('del').count(), 1);
  assert.equal(await diff.locator('ins').count(), 1);

  // Saving the same spec again registers nothing.
  await saveButton.click();
  await page.getByText(`Unchanged: the spec is the same as version 2 of ${pipeline}`).waitFor();

  assert.deepEqual(
    errors.filter((e) => !/the server responded with a status of (422|400)/.test(e)),
    [],
    'no console error but the browser reporting the refused saves',
  );
  await page.close();
});

test('a viewer sees the spec editor with Save disabled and the reason', { timeout: 60_000 }, async () => {
  const viewer = await api.makeKey('viewer');
  browser ??= await openBrowser();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  await signIn(page, viewer);
  await page.goto(`${api.url}/pipelines/${pipeline}`);
  const save = page.getByRole('button', { name: 'Save', exact: true });
  await save.waitFor();
  assert.ok(await save.isDisabled());
  assert.match(await page.locator('section.editor').innerText(), /Saving needs the author role; this key has viewer/);
  assert.deepEqual(errors, []);
});
