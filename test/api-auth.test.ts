// The API's trust boundary against a real Temporal server and a real PostgreSQL: keys and roles on
// every route, pipeline scopes, revocation and expiry, the audit trail, OIDC tokens from an issuer
// the test serves itself, and the start-up rule that an API never runs open by accident.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createOidcVerifier } from '../src/api/auth/oidc.js';
import { authSettings, NoAuthenticationError } from '../src/api/auth/settings.js';
import { createLogger } from '../src/log.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let worker: RunningWorker;
const taskQueue = uniqueName('api-auth');
const logger = createLogger('silent');

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue });
  // Runs sleep for a minute: a worker answers their progress queries, so run views are 200.
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue });
});

after(async () => {
  await worker?.stop();
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

const sleepSpec = (name: string) => ({ name, nodes: [{ id: 'wait', type: 'control.sleep', config: { ms: 60_000 } }] });
const as = (key: string) => ({ authorization: `Bearer ${key}` });

/** Every route of the API with a request that would succeed for an admin (ids filled in per test). */
function routes(p: { pipeline: string; runId: string; keyId: string }) {
  return [
    { method: 'GET', path: '/api/v1/openapi.json', action: 'openapi.read' },
    { method: 'GET', path: '/api/v1/pipelines', action: 'pipeline.list' },
    { method: 'POST', path: '/api/v1/pipelines', body: sleepSpec(p.pipeline), action: 'pipeline.create' },
    { method: 'GET', path: `/api/v1/pipelines/${p.pipeline}`, action: 'pipeline.read' },
    { method: 'POST', path: `/api/v1/pipelines/${p.pipeline}/check`, body: {}, action: 'pipeline.check' },
    { method: 'POST', path: `/api/v1/pipelines/${p.pipeline}/runs`, body: {}, action: 'run.start' },
    { method: 'GET', path: '/api/v1/runs', action: 'run.list' },
    { method: 'GET', path: `/api/v1/runs/${p.runId}`, action: 'run.read' },
    { method: 'GET', path: `/api/v1/runs/${p.runId}/nodes`, action: 'run.nodes' },
    // The sleep node has no bad records: 200 without reading staging.
    { method: 'GET', path: `/api/v1/runs/${p.runId}/nodes/wait/rejected`, action: 'run.rejected' },
    // The run is not failed: an operator's retry is a 409, anyone else's a 403.
    { method: 'POST', path: `/api/v1/runs/${p.runId}/retry`, body: {}, action: 'run.retry' },
    { method: 'POST', path: `/api/v1/runs/${p.runId}/pause`, action: 'run.pause' },
    { method: 'POST', path: `/api/v1/runs/${p.runId}/resume`, action: 'run.resume' },
    { method: 'POST', path: `/api/v1/runs/${p.runId}/cancel`, action: 'run.cancel' },
    { method: 'GET', path: '/api/v1/keys', action: 'key.list' },
    { method: 'POST', path: '/api/v1/keys', body: { name: 'made', role: 'viewer' }, action: 'key.create' },
    { method: 'DELETE', path: `/api/v1/keys/${p.keyId}`, action: 'key.revoke' },
    { method: 'GET', path: '/api/v1/audit', action: 'audit.read' },
  ];
}

async function startSleepRun(name: string): Promise<string> {
  assert.equal((await api.call('POST', '/api/v1/pipelines', sleepSpec(name))).status, 201);
  const run = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  assert.equal(run.status, 201, JSON.stringify(run.json));
  return run.json.runId as string;
}

test('every route but /healthz answers 401 with WWW-Authenticate without a key, or with a malformed, unknown or forged one', async () => {
  const name = uniqueName('auth-none');
  const runId = await startSleepRun(name);
  const other = await api.makeKey('viewer');
  const forged = other.slice(0, -4) + (other.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.equal((await api.call('GET', '/healthz', undefined, { authorization: '' })).status, 200);
  const everyRoute: { method: string; path: string; body?: unknown }[] = [...routes({ pipeline: name, runId, keyId: '0123456789abcdef' }), { method: 'GET', path: '/api/v1/no-such-route' }];
  for (const r of everyRoute) {
    for (const authorization of ['', 'Bearer', 'Basic dXNlcjpwYXNz', 'Bearer sk_nothex_x', `Bearer sk_0123456789abcdef_${'A'.repeat(43)}`, `Bearer ${forged}`, 'Bearer not-a-key']) {
      const res = await api.call(r.method, r.path, r.body, { authorization });
      assert.equal(res.status, 401, `${r.method} ${r.path} with ${JSON.stringify(authorization)}: ${JSON.stringify(res.json)}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(!JSON.stringify(res.json).includes(forged), 'the key sent is never echoed');
    }
  }
});

test('each role can do exactly its actions: viewer reads, operator steers runs, author registers and checks, admin manages keys and reads the audit', async () => {
  const keys = { viewer: await api.makeKey('viewer'), operator: await api.makeKey('operator'), author: await api.makeKey('author'), admin: api.adminKey };
  const allowed: Record<keyof typeof keys, string[]> = {
    viewer: ['openapi.read', 'pipeline.list', 'pipeline.read', 'run.list', 'run.read', 'run.nodes', 'run.rejected'],
    operator: ['openapi.read', 'pipeline.list', 'pipeline.read', 'run.list', 'run.read', 'run.nodes', 'run.rejected', 'run.start', 'run.pause', 'run.resume', 'run.cancel', 'run.retry'],
    author: ['openapi.read', 'pipeline.list', 'pipeline.read', 'run.list', 'run.read', 'run.nodes', 'run.rejected', 'run.start', 'run.pause', 'run.resume', 'run.cancel', 'run.retry', 'pipeline.create', 'pipeline.check'],
    admin: ['*'],
  };
  for (const [role, key] of Object.entries(keys) as [keyof typeof keys, string][]) {
    const name = uniqueName(`role-${role}`);
    const runId = await startSleepRun(name);
    const victim = (await api.call('POST', '/api/v1/keys', { name: 'victim', role: 'viewer' })).json.id as string;
    for (const r of routes({ pipeline: name, runId, keyId: victim })) {
      // The check route needs a worker to answer 200; a 503 still shows the request was allowed.
      if (r.action === 'pipeline.check') continue;
      const res = await api.call(r.method, r.path, r.body, as(key));
      const mayDo = allowed[role].includes('*') || allowed[role].includes(r.action);
      if (mayDo) assert.ok(res.status < 400 || res.status === 409, `${role} may ${r.action}: ${res.status} ${JSON.stringify(res.json)}`);
      else {
        assert.equal(res.status, 403, `${role} may not ${r.action}: ${JSON.stringify(res.json)}`);
        assert.match(res.json.detail, new RegExp(`${r.action.replace('.', '\\.')} needs the \\w+ role; this key has ${role}`));
      }
    }
    const check = await api.call('POST', `/api/v1/pipelines/${name}/check`, { timeout: '1s' }, as(key));
    if (allowed[role].includes('*') || allowed[role].includes('pipeline.check')) assert.notEqual(check.status, 403);
    else assert.equal(check.status, 403);
  }
});

test('a key limited to some pipelines sees and steers only those, and other teams\' ids look missing', async () => {
  const prefix = uniqueName('team');
  const mine = `${prefix}-orders`;
  const theirs = uniqueName('other');
  const myRun = await startSleepRun(mine);
  const theirRun = await startSleepRun(theirs);
  const scoped = await api.makeKey('author', [`${prefix}-*`]);

  const list = await api.call('GET', '/api/v1/pipelines', undefined, as(scoped));
  assert.deepEqual(list.json.pipelines.map((p: { name: string }) => p.name), [mine]);
  assert.equal((await api.call('GET', `/api/v1/pipelines/${mine}`, undefined, as(scoped))).status, 200);
  assert.equal((await api.call('GET', `/api/v1/pipelines/${theirs}`, undefined, as(scoped))).status, 404);
  assert.equal((await api.call('POST', `/api/v1/pipelines/${theirs}/runs`, {}, as(scoped))).status, 404);
  assert.equal((await api.call('GET', `/api/v1/runs/${theirRun}`, undefined, as(scoped))).status, 404);
  assert.equal((await api.call('POST', `/api/v1/runs/${theirRun}/cancel`, undefined, as(scoped))).status, 404);
  assert.equal((await api.call('GET', `/api/v1/runs?pipeline=${theirs}`, undefined, as(scoped))).status, 404);
  const outside = await api.call('POST', '/api/v1/pipelines', sleepSpec(theirs), as(scoped));
  assert.equal(outside.status, 403);
  assert.match(outside.json.detail, new RegExp(`limited to pipelines ${prefix}-\\*; pipeline ${theirs} is outside its scope`));

  assert.equal((await api.call('GET', `/api/v1/runs/${myRun}`, undefined, as(scoped))).status, 200);
  let runs: string[] = [];
  for (let i = 0; i < 50 && !runs.includes(myRun); i++) {
    runs = (await api.call('GET', '/api/v1/runs?limit=500', undefined, as(scoped))).json.runs.map((r: { runId: string }) => r.runId);
    if (!runs.includes(myRun)) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(runs.includes(myRun), 'its own run is listed');
  assert.ok(!runs.includes(theirRun), 'another pipeline\'s run is not');
  assert.equal((await api.call('POST', `/api/v1/runs/${myRun}/cancel`, undefined, as(scoped))).status, 202);
  // A scoped admin cannot mint a wider key.
  const scopedAdmin = await api.makeKey('admin', [`${prefix}-*`]);
  assert.equal((await api.call('POST', '/api/v1/keys', { name: 'wide', role: 'admin' }, as(scopedAdmin))).status, 403);
  assert.equal((await api.call('POST', '/api/v1/keys', { name: 'narrow', role: 'viewer', pipelines: [`${prefix}-*`] }, as(scopedAdmin))).status, 201);
});

test('a key made over REST is shown once, works at once, never appears again, and stops working when revoked; an expired key is refused', async () => {
  const made = await api.call('POST', '/api/v1/keys', { name: 'ci bot', role: 'operator', expires: '90d' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const key = made.json.key as string;
  assert.match(key, /^sk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.equal(made.json.role, 'operator');
  assert.ok(Math.abs(Date.parse(made.json.expiresAt) - Date.now() - 90 * 86_400_000) < 60_000);
  assert.equal((await api.call('GET', '/api/v1/runs', undefined, as(key))).status, 200);

  const listed = await api.call('GET', '/api/v1/keys');
  const entry = listed.json.keys.find((k: { id: string }) => k.id === made.json.id);
  assert.equal(entry.name, 'ci bot');
  assert.ok(!JSON.stringify(listed.json).includes(key.slice('sk_0123456789abcdef_'.length)), 'the list never holds a key\'s secret');
  const stored = await db.pool.query('SELECT hash FROM sluice.api_keys WHERE id = $1', [made.json.id]);
  assert.match(stored.rows[0].hash, /^scrypt\$/);
  assert.ok(!stored.rows[0].hash.includes(key.slice('sk_0123456789abcdef_'.length)), 'only a hash is stored');

  assert.equal((await api.call('DELETE', `/api/v1/keys/${made.json.id}`)).status, 200);
  const refused = await api.call('GET', '/api/v1/runs', undefined, as(key));
  assert.equal(refused.status, 401);
  assert.match(refused.json.detail, new RegExp(`API key ${made.json.id} was revoked`));
  assert.equal((await api.call('DELETE', '/api/v1/keys/ffffffffffffffff')).status, 404);
  const badBody = await api.call('POST', '/api/v1/keys', { name: 'x', role: 'root', pipelines: ['Bad Glob'], expires: '0s' });
  assert.equal(badBody.status, 400);
  assert.deepEqual(badBody.json.errors.map((e: { path: string }) => e.path).sort(), ['expires', 'pipelines[0]', 'role']);

  const expiring = await api.makeKey('viewer');
  await db.pool.query(`UPDATE sluice.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.split('_')[1]]);
  const expired = await api.call('GET', '/api/v1/runs', undefined, as(expiring));
  assert.equal(expired.status, 401);
  assert.match(expired.json.detail, /expired at/);
});

test('every mutating or denied request is in the audit log with its actor, newest first, in cursor pages and by filter', async () => {
  const name = uniqueName('audited');
  const viewer = await api.makeKey('viewer');
  const viewerId = viewer.split('_')[1]!;
  const created = await api.call('POST', '/api/v1/pipelines', sleepSpec(name));
  const denied = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {}, as(viewer));
  const anonymous = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {}, { authorization: '' });
  const read = await api.call('GET', '/api/v1/pipelines');
  assert.deepEqual([created.status, denied.status, anonymous.status, read.status], [201, 403, 401, 200]);

  const byId = async (requestId: string | null) => {
    const page = await api.call('GET', `/api/v1/audit?limit=500`);
    return page.json.entries.find((e: { requestId: string }) => e.requestId === requestId);
  };
  const adminId = api.adminKey.split('_')[1];
  assert.deepEqual(
    { ...(await byId(created.headers.get('x-request-id'))), id: undefined, at: undefined, remote: undefined },
    { id: undefined, at: undefined, remote: undefined, actorId: adminId, actorName: 'test admin', role: 'admin', action: 'pipeline.create', target: `pipeline ${name}`, status: 201, requestId: created.headers.get('x-request-id') },
  );
  const deniedRow = await byId(denied.headers.get('x-request-id'));
  assert.deepEqual([deniedRow.actorId, deniedRow.role, deniedRow.action, deniedRow.target, deniedRow.status], [viewerId, 'viewer', 'run.start', null, 403]);
  const anonymousRow = await byId(anonymous.headers.get('x-request-id'));
  assert.deepEqual([anonymousRow.actorId, anonymousRow.status], [null, 401]);
  assert.match(anonymousRow.remote, /127\.0\.0\.1/);
  assert.equal(await byId(read.headers.get('x-request-id')), undefined, 'an allowed read is not audited');

  const mine = await api.call('GET', `/api/v1/audit?actor=${viewerId}&action=run.start`);
  assert.deepEqual(mine.json.entries.map((e: { status: number }) => e.status), [403]);
  const first = await api.call('GET', '/api/v1/audit?limit=2');
  const second = await api.call('GET', `/api/v1/audit?limit=2&cursor=${first.json.next}`);
  const ids = [...first.json.entries, ...second.json.entries].map((e: { id: string }) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first across pages');
  assert.equal(new Set(ids).size, 4, 'pages do not overlap');
  assert.equal((await api.call('GET', '/api/v1/audit?since=2999-01-01T00:00:00Z')).json.entries.length, 0);
  assert.equal((await api.call('GET', '/api/v1/audit?cursor=abc')).status, 400);
  assert.equal((await api.call('GET', '/api/v1/audit', undefined, as(viewer))).status, 403);
});

test('the API refuses to start with no way to authenticate, and SLUICE_AUTH=off opens it loudly and says so on /healthz', async () => {
  const fresh = await createTestDatabase('sluice_auth_fresh');
  const freshStore = await createStore(fresh.url);
  try {
    const config = { SLUICE_AUTH: 'on' as const, SLUICE_OIDC_ROLES_CLAIM: 'roles' };
    await assert.rejects(authSettings(config, freshStore, logger), (err: Error) => err instanceof NoAuthenticationError && /sluice keys create/.test(err.message));
    const open = await authSettings({ ...config, SLUICE_AUTH: 'off' }, freshStore, logger);
    const openApi = await startTestApi({ store: freshStore, client: env.client, taskQueue, auth: open });
    try {
      assert.deepEqual((await openApi.call('GET', '/healthz')).json, { ok: true, auth: 'off' });
      assert.equal((await openApi.call('GET', '/api/v1/pipelines')).status, 200);
    } finally {
      await openApi.close();
    }
    await assert.rejects(authSettings({ ...config, SLUICE_OIDC_ISSUER: 'http://127.0.0.1:1' }, freshStore, logger), /SLUICE_OIDC_AUDIENCE/);
  } finally {
    await freshStore.close();
    await fresh.drop();
  }
  assert.deepEqual((await api.call('GET', '/healthz')).json, { ok: true, auth: 'keys' });
});

/** An OIDC issuer of our own: discovery document and JWKS on a local port. */
async function startIssuer(): Promise<{ issuer: string; sign(claims: Record<string, unknown>, audience?: string): Promise<string>; close(): Promise<void> }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
    else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signWith = (key: CryptoKey) => (claims: Record<string, unknown>, audience = 'sluice-api') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(audience).setSubject('alice@example.com').setIssuedAt().setExpirationTime('5m').sign(key);
  return { issuer, sign: signWith(privateKey), close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('OIDC: a token from the issuer for our audience acts with the strongest Sluice role in its claim; others are refused', async () => {
  const idp = await startIssuer();
  const oidcApi = await startTestApi({
    store,
    client: env.client,
    taskQueue,
    auth: { mode: 'on', oidc: createOidcVerifier({ issuer: idp.issuer, audience: 'sluice-api', rolesClaim: 'groups' }) },
  });
  try {
    const operator = await idp.sign({ groups: ['staff', 'viewer', 'operator'] });
    assert.equal((await oidcApi.call('GET', '/api/v1/runs', undefined, as(operator))).status, 200);
    const name = uniqueName('oidc');
    const denied = await oidcApi.call('POST', '/api/v1/pipelines', sleepSpec(name), as(operator));
    assert.equal(denied.status, 403);
    assert.match(denied.json.detail, /pipeline\.create needs the author role; this token has operator/);
    const row = (await oidcApi.call('GET', '/api/v1/audit?limit=50')).json.entries.find((e: { requestId: string }) => e.requestId === denied.headers.get('x-request-id'));
    assert.deepEqual([row.actorId, row.role, row.status], ['alice@example.com', 'operator', 403]);

    const author = await idp.sign({ groups: 'author' });
    assert.equal((await oidcApi.call('POST', '/api/v1/pipelines', sleepSpec(name), as(author))).status, 201);
    const noRole = await oidcApi.call('GET', '/api/v1/runs', undefined, as(await idp.sign({ groups: ['staff'] })));
    assert.equal(noRole.status, 403);
    const wrongAudience = await oidcApi.call('GET', '/api/v1/runs', undefined, as(await idp.sign({ groups: ['admin'] }, 'another-api')));
    assert.equal(wrongAudience.status, 401);
    const { privateKey: stranger } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ groups: ['admin'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(idp.issuer).setAudience('sluice-api').setExpirationTime('5m').sign(stranger);
    assert.equal((await oidcApi.call('GET', '/api/v1/runs', undefined, as(forged))).status, 401);
    // API keys still work beside OIDC.
    assert.equal((await oidcApi.call('GET', '/api/v1/runs')).status, 200);
  } finally {
    await oidcApi.close();
    await idp.close();
  }
});
