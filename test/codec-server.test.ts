// The API's codec endpoint (Temporal's codec-server protocol) over real HTTP: round trips,
// credentials and roles, the audit of refusals and encodings, CORS for the Web UI origin only,
// the loopback-only exception for `sluice dev`'s own Web UI, and 4xx problem+json for bad bodies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { PayloadEncryptionCodec } from '../src/codec/codec.js';
import { parsePayloadKeys, type PayloadKeyring } from '../src/codec/keys.js';
import type { CodecSettings } from '../src/api/deps.js';
import { createTestDatabase, temporalEnv, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';

const UI = 'http://127.0.0.1:18233';
const CONSOLE = 'https://console.example.com';

function keyring(text: string): PayloadKeyring {
  const parsed = parsePayloadKeys(text);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.keyring;
}

const keyA = crypto.randomBytes(32).toString('base64');
const keys = keyring(`ui-a:${keyA}`);
const codec = new PayloadEncryptionCodec(keys);

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let plainApi: TestApi;
let devApi: TestApi;

function settings(over: Partial<CodecSettings> = {}): CodecSettings {
  return { codec, namespace: 'default', origins: [UI], localUiOrigins: [], ...over };
}

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  const common = { store, client: env.client, taskQueue: 'codec-test' };
  // CONSOLE may call the REST API from a browser; that does not open the codec endpoint to it.
  api = await startTestApi({ ...common, codec: settings(), web: { corsOrigins: [CONSOLE], ratePerMinute: 0 } });
  plainApi = await startTestApi({ ...common, codec: settings({ codec: null }) });
  devApi = await startTestApi({ ...common, codec: settings({ localUiOrigins: [UI] }) });
});

after(async () => {
  await Promise.all([api?.close(), plainApi?.close(), devApi?.close()]);
  await store?.close();
  await db?.drop();
  await env?.close();
});

type PayloadJson = { metadata: Record<string, string>; data: string };

function toJson(p: Payload): PayloadJson {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

function fromJson(p: PayloadJson): Payload {
  return { metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(p.data, 'base64') };
}

const ns = { 'x-namespace': 'default' };

test('encode then decode round-trips payloads; the envelope names the key id; plain payloads decode as they are', async () => {
  const originals = [defaultPayloadConverter.toPayload({ table: 'dw.orders', since: '2024-01-01' }), defaultPayloadConverter.toPayload('two'), defaultPayloadConverter.toPayload(null)];
  const enc = await api.call('POST', '/codec/encode', { payloads: originals.map(toJson) }, ns);
  assert.equal(enc.status, 200, JSON.stringify(enc.json));
  assert.equal(enc.json.payloads.length, 3);
  for (const p of enc.json.payloads as PayloadJson[]) {
    assert.equal(Buffer.from(p.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
    assert.equal(Buffer.from(p.metadata['encryption-key-id']!, 'base64').toString(), 'ui-a');
    assert.ok(!Buffer.from(p.data, 'base64').toString('latin1').includes('dw.orders'));
  }
  // What the API encrypted, the workers' codec reads, and the other way round.
  assert.deepEqual(defaultPayloadConverter.fromPayload((await codec.decode([fromJson(enc.json.payloads[0])]))[0]!), { table: 'dw.orders', since: '2024-01-01' });
  const fromWorker = toJson((await codec.encode([defaultPayloadConverter.toPayload({ node: 'extract' })]))[0]!);

  const viewer = await api.makeKey('viewer');
  const dec = await api.call('POST', '/codec/decode', { payloads: [...enc.json.payloads, fromWorker, toJson(originals[1]!)] }, { ...ns, authorization: `Bearer ${viewer}` });
  assert.equal(dec.status, 200, JSON.stringify(dec.json));
  const values = (dec.json.payloads as PayloadJson[]).map((p) => defaultPayloadConverter.fromPayload(fromJson(p)));
  assert.deepEqual(values, [{ table: 'dw.orders', since: '2024-01-01' }, 'two', null, { node: 'extract' }, 'two']);
  assert.deepEqual((await api.call('POST', '/codec/decode', { payloads: [] }, ns)).json, { payloads: [] });
});

test('a credential is required: none or a bad one is 401; viewers decode but do not encode; scoped keys are refused; refusals and encodings are audited', async () => {
  const body = { payloads: [toJson(defaultPayloadConverter.toPayload('x'))] };
  const none = await api.call('POST', '/codec/decode', body, { authorization: '' });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
  assert.equal((await api.call('POST', '/codec/decode', body, { authorization: 'Bearer sk_nope_nope' })).status, 401);
  assert.equal((await api.call('POST', '/codec/decode', body, { authorization: 'Basic abc' })).status, 401);

  const viewer = await api.makeKey('viewer');
  const encode = await api.call('POST', '/codec/encode', body, { authorization: `Bearer ${viewer}` });
  assert.equal(encode.status, 403);
  assert.match(encode.json.detail, /payload\.encode needs the operator role/);
  const operator = await api.makeKey('operator');
  const encoded = await api.call('POST', '/codec/encode', body, { authorization: `Bearer ${operator}` });
  assert.equal(encoded.status, 200);
  const scoped = await api.makeKey('admin', ['orders-*']);
  const refused = await api.call('POST', '/codec/decode', body, { authorization: `Bearer ${scoped}` });
  assert.equal(refused.status, 403);
  assert.match(refused.json.detail, /needs a key for every pipeline/);
  const decoded = await api.call('POST', '/codec/decode', body, { authorization: `Bearer ${viewer}` });
  assert.equal(decoded.status, 200);

  const { entries } = await store.listAudit({ limit: 500 });
  const row = (r: { headers: Headers }) => entries.find((e) => e.requestId === r.headers.get('x-request-id'));
  assert.deepEqual([row(none)?.status, row(none)?.actorId], [401, null]);
  assert.deepEqual([row(encode)?.status, row(encode)?.action], [403, 'payload.encode']);
  assert.deepEqual([row(encoded)?.status, row(encoded)?.action, row(encoded)?.role], [200, 'payload.encode', 'operator']);
  assert.deepEqual([row(refused)?.status, row(refused)?.action], [403, 'payload.decode']);
  assert.equal(row(decoded), undefined, 'a decode is a read: not audited');
});

test('CORS: the preflight of the Web UI origin is answered, any other origin (even one the REST API allows) is refused', async () => {
  const preflight = (origin: string) =>
    api.call('OPTIONS', '/codec/decode', undefined, { authorization: '', origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' });
  const ok = await preflight(UI);
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), UI);
  assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
  assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
  for (const h of ['authorization', 'content-type', 'x-namespace']) assert.match((ok.headers.get('access-control-allow-headers') ?? '').toLowerCase(), new RegExp(h));

  for (const origin of ['https://evil.example', CONSOLE, 'http://127.0.0.1:1']) {
    const no = await preflight(origin);
    assert.equal(no.status, 403, origin);
    assert.equal(no.headers.get('access-control-allow-origin'), null, origin);
  }
  // The REST API's own CORS still serves its origin.
  const rest = await api.call('OPTIONS', '/api/v1/pipelines', undefined, { authorization: '', origin: CONSOLE, 'access-control-request-method': 'GET' });
  assert.equal(rest.headers.get('access-control-allow-origin'), CONSOLE);

  // A request (not only a preflight) from another browser origin is refused even with a valid key.
  const body = { payloads: [toJson(defaultPayloadConverter.toPayload('x'))] };
  assert.equal((await api.call('POST', '/codec/decode', body, { origin: 'https://evil.example' })).status, 403);
  const fromUi = await api.call('POST', '/codec/decode', body, { origin: UI });
  assert.equal(fromUi.status, 200);
  assert.equal(fromUi.headers.get('access-control-allow-origin'), UI);
});

test('malformed requests are 4xx problem+json, never a 500, and sizes are bounded', async () => {
  const good = toJson((await codec.encode([defaultPayloadConverter.toPayload('x')]))[0]!);
  const cases: [string, string, unknown, Record<string, string>, number, RegExp][] = [
    ['invalid JSON', '/codec/decode', '{"payloads": [', { 'content-type': 'application/json' }, 400, /malformed request body/],
    ['not JSON', '/codec/decode', 'payloads', { 'content-type': 'text/plain' }, 415, /application\/json/],
    ['no payloads', '/codec/decode', {}, {}, 400, /invalid/],
    ['payloads not a list', '/codec/decode', { payloads: 'x' }, {}, 400, /invalid/],
    ['data not base64', '/codec/decode', { payloads: [{ metadata: {}, data: '***' }] }, {}, 400, /invalid/],
    ['metadata not base64', '/codec/encode', { payloads: [{ metadata: { encoding: 7 }, data: '' }] }, {}, 400, /invalid/],
    ['too many payloads', '/codec/decode', { payloads: Array.from({ length: 1001 }, () => ({ data: '' })) }, {}, 400, /invalid/],
    ['a JSON scalar', '/codec/decode', '42', { 'content-type': 'application/json' }, 400, /./],
    ['another namespace', '/codec/decode', { payloads: [good] }, { 'x-namespace': 'other' }, 400, /serves namespace default, not other/],
    ['an unknown key id', '/codec/decode', { payloads: [good, { ...good, metadata: { ...good.metadata, 'encryption-key-id': Buffer.from('gone').toString('base64') } }] }, {}, 422, /payloads\[1\]: payload encrypted with key id "gone", which is not in SLUICE_PAYLOAD_KEYS \(known ids: ui-a\)/],
    ['tampered data', '/codec/decode', { payloads: [{ ...good, data: Buffer.from(Buffer.from(good.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64') }] }, {}, 422, /payloads\[0\]: .*does not decrypt/],
  ];
  for (const [what, path, body, headers, status, detail] of cases) {
    const res = await api.call('POST', path, body, headers);
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.json)}`);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, what);
    assert.match(res.json.detail, detail, what);
  }
  const field = await api.call('POST', '/codec/decode', { payloads: [{ metadata: {}, data: '***' }] });
  assert.deepEqual(field.json.errors.map((e: { path: string }) => e.path), ['payloads[0].data']);

  // Metadata keys that are also Object.prototype names are just keys.
  const odd = await api.call('POST', '/codec/decode', '{"payloads":[{"metadata":{"__proto__":"YQ==","constructor":"YQ==","encoding":"YQ=="},"data":""}]}', { 'content-type': 'application/json' });
  assert.equal(odd.status, 200, JSON.stringify(odd.json));
  const big = await api.call('POST', '/codec/decode', { payloads: [{ data: 'A'.repeat(5 * 1024 * 1024) }] });
  assert.equal(big.status, 413);
  assert.equal((await api.call('GET', '/codec/decode')).status, 405);
  assert.equal((await api.call('POST', '/codec/other', { payloads: [] })).status, 404);
  const off = await plainApi.call('POST', '/codec/decode', { payloads: [] });
  assert.equal(off.status, 404);
  assert.match(off.json.detail, /SLUICE_PAYLOAD_KEYS is not set/);
});

/** A raw request, so the Host header can be set (fetch does not allow it). */
function rawPost(url: string, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test("sluice dev on loopback: its own Web UI's origin decodes without a key, nothing else does", async () => {
  const body = { payloads: [toJson((await codec.encode([defaultPayloadConverter.toPayload('dev')]))[0]!)] };
  const fromUi = await devApi.call('POST', '/codec/decode', body, { authorization: '', origin: UI, ...ns });
  assert.equal(fromUi.status, 200);
  assert.equal(defaultPayloadConverter.fromPayload(fromJson(fromUi.json.payloads[0])), 'dev');
  assert.equal((await devApi.call('POST', '/codec/decode', body, { authorization: '' })).status, 401, 'no Origin: a key is needed');
  assert.equal((await devApi.call('POST', '/codec/decode', body, { authorization: '', origin: 'http://localhost:9999' })).status, 403);
  // The same origin on the API without the dev exception still needs a key.
  assert.equal((await api.call('POST', '/codec/decode', body, { authorization: '', origin: UI })).status, 401);
  // A DNS-rebinding page reaches the API under a name of its own: refused even with the UI's Origin.
  const host = new URL(devApi.url).host;
  assert.equal(await rawPost(devApi.url, '/codec/decode', { origin: UI, host }, JSON.stringify(body)), 200);
  assert.equal(await rawPost(devApi.url, '/codec/decode', { origin: UI, host: `rebind.example:${new URL(devApi.url).port}` }, JSON.stringify(body)), 401);
});
