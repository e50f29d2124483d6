// In a real browser: `sluice dev` (its own Temporal dev server with the Web UI, the API, a worker,
// payloads encrypted with its dev key) runs a pipeline, and the Temporal Web UI's page of that run
// shows the decoded input (a param value) because the UI calls the API's codec endpoint. The same
// history served by a dev server started without --ui-codec-endpoint shows only the encrypted
// envelope. Headless Chromium through playwright-core (scripts/ensure-chromium.sh installs it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startDev, type DevEnvironment } from '../src/cli/dev.js';
import { createLogger } from '../src/log.js';
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { chromiumPath, openBrowser, type TestBrowser } from './helpers/browser.js';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from './helpers/env.js';

/** base64 of `binary/encrypted`, the envelope's encoding as the Web UI prints a raw payload. */
const ENCRYPTED = Buffer.from('binary/encrypted').toString('base64');
const marker = uniqueName('codec-marker');

let db: TestDatabase;
let dataDir: string;
let dev: DevEnvironment | null = null;
let plainServer: DevServer | null = null;
let browser: TestBrowser | null = null;
const savedDatabaseUrl = process.env.DATABASE_URL;

before(async () => {
  chromiumPath(); // installs Debian's chromium on a machine that lacks it, before any timing starts
  db = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dev-ui-'));
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  await plainServer?.stop();
  if (savedDatabaseUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedDatabaseUrl;
  await db?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Opens the run's page and returns the page text once `expected` is on it (bounded wait). */
/** The page's text once it shows `expected` and, when given, no longer shows `gone` (the UI decodes payloads one request at a time). */
async function runPage(page: Page, url: string, expected: string, gone?: string): Promise<string> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(([text, absent]) => document.body.innerText.includes(text!) && (absent === '' || !document.body.innerText.includes(absent!)), [expected, gone ?? ''], { timeout: 25_000 }).catch(() => undefined);
  return page.evaluate(() => document.body.innerText);
}

// About 20 s on an idle machine (the browser part about 8 s); every wait is bounded, and the
// whole test is given room for a machine shared with other test runs.
test('the Web UI shows decoded payloads through the API codec endpoint, and only the encrypted envelope without it', { timeout: 180_000 }, async () => {
  const ports = { temporalPort: await freePort(), uiPort: await freePort() };
  process.env.DATABASE_URL = db.url;
  dev = await startDev({ dataDir, apiPort: 0, ...ports }, createLogger('warn'));
  assert.ok(dev.config.SLUICE_PAYLOAD_KEYS, 'sluice dev encrypts by default');
  assert.ok(fs.existsSync(path.join(dataDir, 'payload-keys')), 'with a key kept in its data dir');

  const auth = { authorization: `Bearer ${dev.apiKey}`, 'content-type': 'application/json' };
  const spec = { name: 'ui-codec', params: { marker: { type: 'string' } }, nodes: [{ id: 'nap_node', type: 'control.sleep', config: { ms: 10 } }] };
  assert.equal((await fetch(`${dev.apiUrl}/api/v1/pipelines`, { method: 'POST', headers: auth, body: JSON.stringify(spec) })).status, 201);
  const started = await fetch(`${dev.apiUrl}/api/v1/pipelines/ui-codec/runs`, { method: 'POST', headers: auth, body: JSON.stringify({ params: { marker } }) });
  assert.equal(started.status, 201);
  const { runId } = (await started.json()) as { runId: string };
  await waitFor(async () => {
    const view = (await (await fetch(`${dev!.apiUrl}/api/v1/runs/${runId}`, { headers: auth })).json()) as { status: string };
    return view.status === 'completed';
  }, 'the run to complete');
  const pageUrl = `${dev.uiUrl}/namespaces/${dev.config.TEMPORAL_NAMESPACE}/workflows/${runId}`;

  browser = await openBrowser();
  const page = await browser.context.newPage();
  const codecAnswers: number[] = [];
  const codecUrl = `${dev.apiUrl}/codec/`;
  page.on('response', (res) => {
    if (res.url().startsWith(codecUrl)) codecAnswers.push(res.status());
  });
  const decoded = await runPage(page, pageUrl, marker, ENCRYPTED);
  assert.match(decoded, /"marker": "codec-marker-/, 'the input shows the param value');
  assert.match(decoded, /nap_node/, "the node's summary is decoded too");
  assert.ok(!decoded.includes(ENCRYPTED), 'no encrypted envelope is left on the page');
  assert.ok(codecAnswers.length > 0 && codecAnswers.every((s) => s === 200), `the UI decoded through the API without a key: ${codecAnswers.join(', ')}`);

  // The same history, served by a dev server started without --ui-codec-endpoint.
  await dev.stop();
  dev = null;
  plainServer = await startDevServer({ dbFile: path.join(dataDir, 'temporal.db'), port: ports.temporalPort, uiPort: ports.uiPort, logFile: path.join(dataDir, 'temporal-plain.log') });
  const raw = await runPage(await browser.context.newPage(), pageUrl, ENCRYPTED);
  assert.ok(!raw.includes(marker), 'without the codec the param value is not on the page');
  assert.match(raw, /encryption-key-id/);
});
