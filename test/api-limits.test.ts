// Hostile input gets a fast 4xx: each limit of docs/api.md ("Limits"), tried over HTTP against the
// real API (real PostgreSQL, real Temporal, no worker), answered with the path of what is wrong, never
// a 500, never an echo of more than ~200 characters of what was sent, and without holding the event
// loop (GET /healthz is timed while the worst cases are validated).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { MAX_NODES, MAX_YAML_SPEC_BYTES } from '../src/dag/limits.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { assertNoLongEcho, bestOfTwo, HEALTH_LIMIT_MS, REQUEST_LIMIT_MS, timedWithHealth } from './helpers/hostile.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
const taskQueue = uniqueName('api-limits');

type Res = { status: number; headers: Headers; json: any; ms: number };

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue });
  // The YAML parser thread starts on first use; start it before anything is timed.
  await api.call('POST', '/api/v1/pipelines', 'name: warm-up\n', { 'content-type': 'application/yaml' });
});

after(async () => {
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

/** A request whose answer must be a problem with `status`, in well under a second. */
async function refused(status: number, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Res> {
  const { ms, ...res } = await bestOfTwo(REQUEST_LIMIT_MS, async () => {
    const start = performance.now();
    const res = await api.call(method, path, body, headers);
    return { ...res, ms: performance.now() - start };
  });
  assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.json).slice(0, 600)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.ok(Array.isArray(res.json.errors) && res.json.errors.length > 0, 'errors name what is wrong');
  for (const e of res.json.errors) assert.equal(typeof e.path, 'string');
  assert.ok(ms < REQUEST_LIMIT_MS, `${method} ${path} took ${Math.round(ms)} ms`);
  return { ...res, ms };
}

const paths = (res: { json: any }): string[] => (res.json.errors as { path: string }[]).map((e) => e.path);
const messageAt = (res: { json: any }, path: string): string => (res.json.errors as { path: string; message: string }[]).find((e) => e.path === path)?.message ?? '';

function spec(name: string, node: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { name, nodes: [{ id: 'wait', type: 'control.sleep', config: { ms: 1 }, ...node }], ...extra };
}

async function pipelineWithParams(): Promise<string> {
  const name = uniqueName('limits');
  const res = await api.call('POST', '/api/v1/pipelines', spec(name, {}, { params: { label: { type: 'string', default: 'x' } } }));
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return name;
}

test('malformed percent-encoding in a path parameter is a 400 naming the parameter', async () => {
  const run = await refused(400, 'GET', '/api/v1/runs/%ZZ');
  assert.deepEqual(paths(run), ['runId']);
  assert.match(run.json.errors[0].message, /percent-encoding/);
  assert.deepEqual(paths(await refused(400, 'GET', '/api/v1/pipelines/%E0%A4%A')), ['name']);
  assert.deepEqual(paths(await refused(400, 'POST', '/api/v1/pipelines/%E0%A4%A/runs', {})), ['name']);
  assert.deepEqual(paths(await refused(400, 'POST', '/api/v1/runs/abc%/cancel')), ['runId']);
  assert.deepEqual(paths(await refused(400, 'DELETE', '/api/v1/keys/%ZZ')), ['id']);
});

test('NUL bytes and unpaired surrogates anywhere in a spec are a 422 at their path', async () => {
  const name = uniqueName('nul');
  const cases: [unknown, string][] = [
    [spec(`${name}\u0000`), 'name'],
    [spec(name, { id: 'a\ud800' }), 'nodes[0].id'],
    [spec(name, {}, { description: 'x\u0000y' }), 'description'],
    [spec(name, {}, { params: { p: { type: 'string', default: '\udc00' } } }), 'params.p.default'],
    [spec(name, { config: { ms: 1, ['k\u0000']: 1 } }), 'nodes[0].config["k\\u0000"]'],
    [spec(name, { config: { query: ['ok', 'bad\ud83d'] } }), 'nodes[0].config.query[1]'],
  ];
  for (const [body, path] of cases) {
    const res = await refused(422, 'POST', '/api/v1/pipelines', body);
    assert.ok(paths(res).includes(path), `${path} in ${JSON.stringify(paths(res))}`);
    assert.match(messageAt(res, path), /NUL|surrogate/);
  }
  // A well-formed pair is fine: only a lone half is refused.
  const ok = await api.call('POST', '/api/v1/pipelines', spec(name, {}, { description: 'rocket \ud83d\ude80' }));
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  const yaml = await refused(422, 'POST', '/api/v1/pipelines', `name: ${uniqueName('nul')}\ndescription: "a\\0b"\nnodes: [{ id: w, type: control.sleep, config: { ms: 1 } }]\n`, {
    'content-type': 'application/yaml',
  });
  assert.deepEqual(paths(yaml), ['description']);
});

test('NUL bytes and unpaired surrogates in a run or check body are a 400 at their path', async () => {
  const name = await pipelineWithParams();
  const value = await refused(400, 'POST', `/api/v1/pipelines/${name}/runs`, { params: { label: 'a\u0000' } });
  assert.deepEqual(paths(value), ['params.label']);
  const key = await refused(400, 'POST', `/api/v1/pipelines/${name}/runs`, { params: { ['\ud800']: 'x' } });
  assert.equal(paths(key).length, 1);
  assert.match(key.json.errors[0].message, /surrogate/);
  assert.deepEqual(paths(await refused(400, 'POST', `/api/v1/pipelines/${name}/check`, { params: { label: '\udfff' } })), ['params.label']);
  assert.deepEqual(paths(await refused(400, 'GET', '/api/v1/runs/a%00b')), ['runId']);
  assert.deepEqual(paths(await refused(400, 'GET', '/api/v1/audit?actor=%00')), ['actor']);
});

test('nesting deeper than 32 levels is refused with its path in specs (JSON and YAML) and in run bodies', async () => {
  const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
  const name = uniqueName('deep');
  const res = await refused(422, 'POST', '/api/v1/pipelines', spec(name, { type: 'transform.map', config: { rename: nested(40) } }));
  const deep = paths(res).find((p) => p.startsWith('nodes[0].config.rename.a.a'));
  assert.ok(deep, JSON.stringify(paths(res)));
  assert.match(messageAt(res, deep), /deeper than 32/);
  const yaml = `name: ${name}\nnodes:\n  - id: w\n    type: control.sleep\n    config: ${'['.repeat(40)}${']'.repeat(40)}\n`;
  assert.match(paths(await refused(422, 'POST', '/api/v1/pipelines', yaml, { 'content-type': 'application/yaml' }))[0] ?? '', /^nodes\[0\]\.config/);
  const runName = await pipelineWithParams();
  assert.match(paths(await refused(400, 'POST', `/api/v1/pipelines/${runName}/runs`, { params: { label: nested(40) } }))[0] ?? '', /^params\.label\.a/);
});

test('nesting that no parser should recurse into is a fast 400 at body, in JSON and YAML', async () => {
  const json = await refused(400, 'POST', '/api/v1/pipelines', `{"name":"x","nodes":${'['.repeat(300_000)}${']'.repeat(300_000)}}`, { 'content-type': 'application/json' });
  assert.deepEqual(paths(json), ['body']);
  assert.match(json.json.errors[0].message, /^1:\d+: nested deeper than/);
  const yaml = await refused(400, 'POST', '/api/v1/pipelines', `a: ${'['.repeat(30_000)}${']'.repeat(30_000)}`, { 'content-type': 'application/yaml' });
  assert.deepEqual(paths(yaml), ['body']);
  const run = await refused(400, 'POST', '/api/v1/pipelines/anything/runs', `{"params":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, { 'content-type': 'application/json' });
  assert.ok(run.json.errors.length > 0);
});

test('integers outside their documented range are a 4xx at their path', async () => {
  const name = await pipelineWithParams();
  assert.deepEqual(paths(await refused(400, 'POST', `/api/v1/pipelines/${name}/runs`, { version: 2_147_483_648 })), ['version']);
  assert.deepEqual(paths(await refused(400, 'POST', `/api/v1/pipelines/${name}/check`, { version: 2_147_483_648 })), ['version']);
  assert.deepEqual(paths(await refused(400, 'GET', `/api/v1/pipelines/${name}?version=2147483648`)), ['version']);
  const specName = uniqueName('ints');
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ retry: { maximumAttempts: 2_147_483_648 } }, 'nodes[0].retry.maximumAttempts', /<= 2147483647/],
    [{ timeout: '25d' }, 'nodes[0].timeout', /at most 24d 20h 31m 23\.647s/],
    [{ heartbeatTimeout: 2_147_483_648 }, 'nodes[0].heartbeatTimeout', /at most/],
    [{ retry: { initialInterval: '9999999d' } }, 'nodes[0].retry.initialInterval', /at most/],
    [{ type: 'postgres.read', config: { connection: { $secret: 'DB' }, query: 'select 1', batchSize: 0 } }, 'nodes[0].config.batchSize', />= 1/],
    [{ type: 'control.sleep', config: { ms: -1 } }, 'nodes[0].config.ms', /0/],
  ];
  for (const [node, path, message] of cases) {
    const res = await refused(422, 'POST', '/api/v1/pipelines', spec(specName, node));
    assert.ok(paths(res).includes(path), `${path} in ${JSON.stringify(res.json.errors)}`);
    assert.match(messageAt(res, path), message);
  }
  assert.deepEqual(paths(await refused(422, 'POST', '/api/v1/pipelines', spec(specName, {}, { maxParallel: 65 }))), ['maxParallel']);
  assert.deepEqual(paths(await refused(422, 'POST', '/api/v1/pipelines', spec(specName, {}, { defaults: { timeout: 2_147_483_648 } }))), ['defaults.timeout']);
  assert.deepEqual(paths(await refused(400, 'POST', '/api/v1/keys', { name: 'k', role: 'viewer', expires: '4000d' })), ['expires']);
});

test('over-long names, ids, types, sites, param names and strings are a 422 stating the limit, echoing at most 200 characters', async () => {
  const long = (n: number) => 'a'.repeat(n);
  const cases: [unknown, string, RegExp][] = [
    [spec(long(64)), 'name', /at most 63 characters/],
    [spec(uniqueName('long'), { id: long(65) }), 'nodes[0].id', /at most 64 characters/],
    [spec(uniqueName('long'), { site: long(1200) }), 'nodes[0].site', /at most 63 characters/],
    [spec(uniqueName('long'), { type: `${long(100)}.read` }), 'nodes[0].type', /at most 64 characters/],
    [spec(uniqueName('long'), { needs: [long(5000)] }), 'nodes[0].needs[0]', /at most 64 characters/],
    [spec(uniqueName('long'), {}, { params: { [long(65)]: { type: 'string' } } }), `params.${long(65)}`, /at most 64 characters/],
    [spec(uniqueName('long'), {}, { description: long(5000) }), 'description', /at most 4096 characters/],
    [spec(uniqueName('long'), { when: long(2000) }), 'nodes[0].when', /at most 1024 characters/],
    [spec(uniqueName('long'), { config: { ms: 1, query: long(70_000) } }), 'nodes[0].config.query', /at most 65536 characters/],
    [spec(uniqueName('long'), { config: { ms: 1, [long(200)]: 1 } }), `nodes[0].config.${long(200)}`, /keys must be at most 128/],
  ];
  for (const [body, path, message] of cases) {
    const res = await refused(422, 'POST', '/api/v1/pipelines', body);
    assert.ok(paths(res).includes(path), `${path.slice(0, 80)} in ${JSON.stringify(paths(res)).slice(0, 300)}`);
    assert.match(messageAt(res, path), message);
    assertNoLongEcho(body, res.json);
  }
});

test('a YAML spec whose aliases expand past the size limit is a fast 400, however few aliases it has', async () => {
  const big = 'x'.repeat(50_000);
  const yaml = `name: aliases\nblob: &b "${big}"\nnodes:\n${Array.from({ length: 25 }, (_, i) => `  - { id: n${i}, type: control.sleep, config: { ms: 1, note: *b } }`).join('\n')}\n`;
  const res = await refused(400, 'POST', '/api/v1/pipelines', yaml, { 'content-type': 'application/yaml' });
  assert.deepEqual(paths(res), ['body']);
  assert.match(res.json.errors[0].message, /expands .* to more than 1048576 bytes/);
  // Nested aliases ("billion laughs") are measured the same way, without being built.
  const laughs = ['a: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}]`)].join('\n');
  assert.match((await refused(400, 'POST', '/api/v1/pipelines', laughs, { 'content-type': 'application/yaml' })).json.errors[0].message, /expands/);
  assert.match((await refused(400, 'POST', '/api/v1/pipelines', 'a: &a [*a]\n', { 'content-type': 'application/yaml' })).json.errors[0].message, /contains it|unknown alias/);
  const tooBig = await refused(413, 'POST', '/api/v1/pipelines', `name: big\n# ${'x'.repeat(MAX_YAML_SPEC_BYTES)}\n`, { 'content-type': 'application/yaml' });
  assert.match(tooBig.json.detail, /send a larger spec as JSON/);
});

test('a YAML spec with tens of thousands of keys is a fast 413; within the YAML limit, thousands of keys answer fast and a key given twice is a 400 at its line', async () => {
  const letter = (n: number) => String.fromCharCode(97 + (n % 26));
  const key = (i: number) => `${letter(i / 676)}${letter(i / 26)}${letter(i)}: 1`;
  const head = `name: ${uniqueName('keys')}\nnodes: [{ id: w, type: control.sleep, config: { ms: 1 } }]\n`;
  const all = Array.from({ length: 26 ** 3 }, (_, i) => key(i));
  await refused(413, 'POST', '/api/v1/pipelines', `${head}${all.join('\n')}\n`, { 'content-type': 'application/yaml' });
  // As many three-letter keys as fit the YAML size limit (9,000 at 64 KiB).
  const keys = all.slice(0, Math.floor((MAX_YAML_SPEC_BYTES - 200) / 7));
  const res = await refused(422, 'POST', '/api/v1/pipelines', `${head}${keys.join('\n')}\n`, { 'content-type': 'application/yaml' });
  assert.equal(res.json.errors.length, 100, 'at most 100 errors are listed');
  const dup = await refused(400, 'POST', '/api/v1/pipelines', `${keys.join('\n')}\n${keys[0]}\n`, { 'content-type': 'application/yaml' });
  assert.deepEqual(dup.json.errors.map((e: { message: string }) => e.message), [`${keys.length + 1}:1: Map keys must be unique`]);
  const json = await refused(422, 'POST', '/api/v1/pipelines', { ...spec(uniqueName('keys')), ...Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 1])) });
  assert.equal(json.json.errors.length, 100);
});

test('a spec sent as application/*+json or in another charset is parsed as such, or refused with a 415', async () => {
  const name = uniqueName('types');
  const body = JSON.stringify(spec(name, {}, { description: 'café' }));
  const vnd = await api.call('POST', '/api/v1/pipelines', body, { 'content-type': 'application/vnd.api+json' });
  assert.equal(vnd.status, 201, JSON.stringify(vnd.json));
  const latin1 = await fetch(`${api.url}/api/v1/pipelines`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json; charset=latin1' },
    body: Buffer.from(JSON.stringify(spec(name, {}, { description: 'crème' })), 'latin1'),
  });
  const created = (await latin1.json()) as { spec: { description: string } };
  assert.equal(latin1.status, 201, JSON.stringify(created));
  assert.equal(created.spec.description, 'crème');
  const bogus = await refused(415, 'POST', '/api/v1/pipelines', body, { 'content-type': `application/json; charset=${'x'.repeat(3000)}` });
  assertNoLongEcho({ charset: 'x'.repeat(3000) }, bogus.json);
});

test('a run or check body that is not application/json is a 415, never a run with default params', async () => {
  const name = await pipelineWithParams();
  const body = JSON.stringify({ params: { label: 'given' } });
  for (const type of ['application/vnd.api+json', 'application/json; charset=latin1', 'application/merge-patch+json']) {
    const res = await refused(415, 'POST', `/api/v1/pipelines/${name}/runs`, body, { 'content-type': type });
    assert.deepEqual(paths(res), ['body']);
    await refused(415, 'POST', `/api/v1/pipelines/${name}/check`, body, { 'content-type': type });
  }
  const runs = await api.call('GET', `/api/v1/runs?pipeline=${name}`);
  assert.deepEqual(runs.json.runs, [], 'no run was started');
});

test('unknown query keys are a 400 naming each, on every route', async () => {
  const name = await pipelineWithParams();
  const routes: [string, string][] = [
    ['GET', '/api/v1/pipelines?x=1'],
    ['POST', '/api/v1/pipelines?x=1'],
    ['GET', `/api/v1/pipelines/${name}?x=1`],
    ['POST', `/api/v1/pipelines/${name}/runs?x=1`],
    ['POST', `/api/v1/pipelines/${name}/check?x=1`],
    ['GET', '/api/v1/runs?x=1'],
    ['GET', '/api/v1/runs/some-run?x=1'],
    ['POST', '/api/v1/runs/some-run/cancel?x=1'],
    ['GET', '/api/v1/openapi.json?x=1'],
    ['GET', '/api/v1/keys?x=1'],
    ['GET', '/api/v1/audit?x=1'],
  ];
  for (const [method, path] of routes) assert.deepEqual(paths(await refused(400, method, path)), ['x'], `${method} ${path}`);
  assert.deepEqual(paths(await refused(400, 'GET', '/api/v1/pipelines?__proto__=1')), ['__proto__']);
  assertNoLongEcho({ key: 'q'.repeat(3000) }, (await refused(400, 'GET', `/api/v1/pipelines?${'q'.repeat(3000)}=1`)).json);
});

test('__proto__, constructor and prototype keys are a 422 in a spec and a 400 in other bodies, at their path', async () => {
  const name = uniqueName('proto');
  const json = `{"name":"${name}","nodes":[{"id":"w","type":"control.sleep","config":{"ms":1,"__proto__":{"polluted":true}}}]}`;
  const res = await refused(422, 'POST', '/api/v1/pipelines', json, { 'content-type': 'application/json' });
  assert.deepEqual(paths(res), ['nodes[0].config.__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const yaml = await refused(422, 'POST', '/api/v1/pipelines', `name: ${name}\nconstructor: 1\nnodes: [{ id: w, type: control.sleep, config: { ms: 1 } }]\n`, { 'content-type': 'application/yaml' });
  assert.deepEqual(paths(yaml), ['constructor']);
  assert.deepEqual(paths(await refused(422, 'POST', '/api/v1/pipelines', spec(name, {}, { params: { prototype: { type: 'string' } } }))), ['params.prototype']);
  const runName = await pipelineWithParams();
  const run = await refused(400, 'POST', `/api/v1/pipelines/${runName}/runs`, '{"params":{"__proto__":{"x":1}}}', { 'content-type': 'application/json' });
  assert.deepEqual(paths(run), ['params.__proto__']);
  assert.deepEqual(paths(await refused(400, 'POST', '/api/v1/keys', '{"name":"k","role":"viewer","constructor":1}', { 'content-type': 'application/json' })), ['constructor']);
});

function nearMissSpec(name: string, n: number) {
  const id = (i: number) => `node_${String(i).padStart(5, '0')}`;
  return { name, nodes: Array.from({ length: n }, (_, i) => ({ id: id(i), type: 'control.sleep', needs: [`${id((i + 1) % n)}x`], config: { ms: 1 } })) };
}

function chainSpec(name: string, n: number) {
  return { name, nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'control.sleep', needs: i === 0 ? [] : [`n${i - 1}`], config: { ms: i > 1 ? '{{ nodes.n0.outputs.ms }}' : 1 } })) };
}

test('a spec whose every node needs a near-miss id is a 422 within a second, and /healthz answers within 200 ms meanwhile', async () => {
  const body = JSON.stringify(nearMissSpec(uniqueName('near'), MAX_NODES));
  const { res, ms, health } = await bestOfTwo(REQUEST_LIMIT_MS, async () => {
    const timed = await timedWithHealth(api.url, () => api.call('POST', '/api/v1/pipelines', body, { 'content-type': 'application/json' }));
    // Slow health checks count as slow too: either makes the try worth repeating.
    return { ...timed, ms: Math.max(timed.ms, 5 * Math.max(...timed.health)) };
  });
  assert.equal(res.status, 422);
  assert.equal(res.json.errors.length, 100);
  assert.ok(ms < REQUEST_LIMIT_MS, `validation took ${Math.round(ms)} ms (or healthz a fifth of that)`);
  assert.ok(health.length > 0 && Math.max(...health) < HEALTH_LIMIT_MS, `healthz took ${health.map(Math.round).join(', ')} ms`);
});

test('a 10,000-node spec with templates reading far upstream is accepted while /healthz answers within 200 ms; 10,001 nodes is a 422', async () => {
  const spec = chainSpec(uniqueName('chain'), MAX_NODES);
  const { res, health } = await bestOfTwo(200, async () => {
    // A fresh name each try, so each is validated and stored anew.
    const body = JSON.stringify({ ...spec, name: uniqueName('chain') });
    const timed = await timedWithHealth(api.url, () => api.call('POST', '/api/v1/pipelines', body, { 'content-type': 'application/json' }));
    return { ...timed, ms: Math.max(...timed.health) };
  });
  assert.equal(res.status, 201, JSON.stringify(res.json).slice(0, 500));
  assert.ok(health.length > 0 && Math.max(...health) < HEALTH_LIMIT_MS, `healthz took ${health.map(Math.round).join(', ')} ms`);
  const over = await refused(422, 'POST', '/api/v1/pipelines', chainSpec(uniqueName('chain'), MAX_NODES + 1));
  assert.deepEqual(paths(over), ['nodes']);
});
