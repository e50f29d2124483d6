// The console's single sign-on in a real browser, against the real API (PostgreSQL, Temporal) and
// an identity provider played by a small local OIDC server: "Sign in with single sign-on" goes to
// the issuer, comes back with a code, the API redeems it (PKCE checked by the issuer) for a token,
// and the console is signed in with the role the token names, on the page it started from.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createOidcVerifier } from '../src/api/auth/oidc.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { ensureConsoleBuilt } from '../scripts/build-console.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { chromiumPath, openBrowser, type TestBrowser } from './helpers/browser.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';

const CLIENT_ID = 'sluice-console';
const AUDIENCE = 'sluice-api';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let browser: TestBrowser;
let idp: { issuer: string; requests: string[]; close(): Promise<void> };

/** An issuer that signs everyone in as alice, an operator: authorize redirects back at once. */
async function startIdp(): Promise<typeof idp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const url = new URL(req.url ?? '/', base);
    requests.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') return json(200, { issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks` });
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== CLIENT_ID || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || q.get('audience') !== AUDIENCE) {
        return json(400, { error: 'invalid_request' });
      }
      const code = randomBytes(12).toString('hex');
      codes.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')! });
      return res.writeHead(302, { location: `${q.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(q.get('state') ?? '')}` }).end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', async () => {
        const form = new URLSearchParams(text);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verified = grant && createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === grant.challenge;
        if (!grant || !verified || form.get('redirect_uri') !== grant.redirectUri || form.get('client_id') !== CLIENT_ID) return json(400, { error: 'invalid_grant', error_description: 'code, verifier or redirect_uri does not match' });
        const token = await new SignJWT({ groups: ['staff', 'operator'], email: 'alice@example.com' })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(base)
          .setAudience(AUDIENCE)
          .setSubject('alice')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
        json(200, { access_token: token, token_type: 'Bearer', expires_in: 300 });
      });
      return;
    }
    json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

before(async () => {
  chromiumPath();
  await ensureConsoleBuilt();
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  idp = await startIdp();
  api = await startTestApi({
    store,
    client: env.client,
    taskQueue: uniqueName('console-oidc'),
    auth: { mode: 'on', oidc: createOidcVerifier({ issuer: idp.issuer, audience: AUDIENCE, rolesClaim: 'groups' }) },
    console: { namespace: env.namespace, oidc: { issuer: idp.issuer, audience: AUDIENCE, clientId: CLIENT_ID, scopes: 'openid email' } },
  });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await api?.close();
  await idp?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

test('single sign-on: the issuer signs the person in, the console comes back signed in with the token\'s role, on the page it started from', { timeout: 120_000 }, async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${api.url}/runs`);
  await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/runs', 'back on the page the sign-in started from');
  assert.match((await page.locator('.who').textContent()) ?? '', /alice@example\.com · operator/);
  assert.deepEqual(idp.requests.filter((r) => r !== 'GET /jwks' && r !== 'GET /.well-known/openid-configuration'), ['GET /authorize', 'POST /token']);
  // The token is a bearer token like a key: the runs page loaded through it.
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  assert.deepEqual(errors, []);

  // Coming back to the callback without having started there is refused with a reason.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(`${api.url}/oidc/callback?code=stolen&state=guess`);
  await page.getByText(/Single sign-on failed: this sign-in was not started from this tab/).waitFor();
  await page.close();
});

test('the token route refuses a bad verifier at its path and passes on the issuer\'s refusal; without single sign-on it says so', async () => {
  const bad = await api.call('POST', '/console-auth/oidc/token', { code: 'x', codeVerifier: 'short', redirectUri: `${api.url}/oidc/callback` });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.errors[0].path, 'codeVerifier');
  const elsewhere = await api.call('POST', '/console-auth/oidc/token', { code: 'x', codeVerifier: 'v'.repeat(43), redirectUri: 'https://evil.example/steal' });
  assert.equal(elsewhere.status, 400);
  assert.equal(elsewhere.json.errors[0].path, 'redirectUri');
  const refused = await api.call('POST', '/console-auth/oidc/token', { code: 'never-issued', codeVerifier: 'v'.repeat(43), redirectUri: `${api.url}/oidc/callback` });
  assert.equal(refused.status, 400);
  assert.match(refused.json.detail, /did not give a token \(HTTP 400, invalid_grant: code, verifier or redirect_uri does not match\)/);
  assert.ok(!JSON.stringify(refused.json).includes('never-issued'), 'the code is not echoed');

  const plain = await startTestApi({ store, client: env.client, taskQueue: uniqueName('no-sso') });
  try {
    assert.deepEqual((await plain.call('GET', '/console-auth/oidc', undefined, { authorization: '' })).json, { enabled: false });
    assert.equal((await plain.call('POST', '/console-auth/oidc/token', { code: 'x', codeVerifier: 'v'.repeat(43), redirectUri: `${plain.url}/oidc/callback` })).status, 404);
  } finally {
    await plain.close();
  }
});
