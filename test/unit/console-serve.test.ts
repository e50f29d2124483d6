// How the API serves the console (src/api/console.ts), on a small built tree: pages for browser
// navigations only, never for API paths; its own CSP with a fresh style nonce per page; the
// Temporal Web UI address escaped into a <meta> tag; a plain answer when the console is not built.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import express from 'express';
import { consoleRouter, type ConsoleSettings } from '../../src/api/console.js';

async function serve(settings: ConsoleSettings, run: (url: string) => Promise<void>): Promise<void> {
  const app = express();
  app.use(consoleRouter(settings));
  app.use((_req, res) => void res.status(404).json({ fallthrough: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
  }
}

function builtTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-console-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<html><head><!--sluice:meta--></head><body></body></html>');
  fs.writeFileSync(path.join(dir, 'assets', 'main.js'), 'console.log(1)');
  return dir;
}

const page = { accept: 'text/html,application/xhtml+xml' };

test('pages and deep links get index.html with a strict CSP and a fresh style nonce; API paths and non-page requests fall through', async () => {
  const dir = builtTree();
  await serve({ dir, namespace: 'prod', temporalUiUrl: 'https://temporal.acme.com/"><script>x</script>' }, async (url) => {
    const root = await fetch(`${url}/`);
    assert.equal(root.status, 200);
    const html = await root.text();
    assert.match(html, /<meta name="sluice-namespace" content="prod">/);
    assert.ok(html.includes('content="https://temporal.acme.com/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'), 'the address is escaped');
    const csp = root.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /connect-src 'self'/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && html.includes(`<meta name="sluice-style-nonce" content="${nonce}">`), 'the page carries its CSP nonce');
    const again = await fetch(`${url}/runs/some-run`, { headers: page });
    assert.equal(again.status, 200, 'a deep link is the console');
    assert.notEqual(/'nonce-([^']+)'/.exec(again.headers.get('content-security-policy') ?? '')?.[1], nonce, 'a fresh nonce per page');

    const asset = await fetch(`${url}/assets/main.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${url}/assets/missing.js`)).status, 404);

    for (const p of ['/api/v1/runs', '/codec/decode', '/healthz']) assert.deepEqual(await (await fetch(`${url}${p}`, { headers: page })).json(), { fallthrough: true }, p);
    // An API client probing another path (no text/html) gets the API's answer, not a page.
    assert.deepEqual(await (await fetch(`${url}/elsewhere`)).json(), { fallthrough: true });
    assert.deepEqual(await (await fetch(`${url}/elsewhere`, { method: 'POST', headers: page })).json(), { fallthrough: true });
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('no Temporal link without its address, and a plain 503 naming the build command when the console is not built', async () => {
  const dir = builtTree();
  await serve({ dir, namespace: 'default' }, async (url) => {
    assert.ok(!(await (await fetch(`${url}/`)).text()).includes('sluice-temporal-ui'));
  });
  fs.rmSync(dir, { recursive: true, force: true });
  await serve({ dir: path.join(os.tmpdir(), 'sluice-no-console-here'), namespace: 'default' }, async (url) => {
    const res = await fetch(`${url}/pipelines`, { headers: page });
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run console:build/);
  });
});
