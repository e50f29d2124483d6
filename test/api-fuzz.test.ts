// Property-based fuzzing of the real API over HTTP (real PostgreSQL, real Temporal, no worker):
// mutated specs (JSON and YAML), run bodies, paths, query strings and content types, each answered
// with a status below 500, as problem+json naming paths and echoing at most ~200 characters of anything
// sent when refused, within a second. Bounded: FUZZ_RUNS (default 100) cases per property, so the file
// takes well under a minute on two cores; FUZZ_SEED replays a failure fast-check reported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { MAX_NODES } from '../src/dag/limits.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { assertNoLongEcho, bestOfTwo, HEALTH_LIMIT_MS, REQUEST_LIMIT_MS, timedWithHealth } from './helpers/hostile.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let pipeline: string;
const taskQueue = uniqueName('api-fuzz');
const started: string[] = [];
let requests = 0;

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue });
  pipeline = uniqueName('fuzz');
  const created = await api.call('POST', '/api/v1/pipelines', {
    name: pipeline,
    params: { label: { type: 'string', default: 'x' }, n: { type: 'number', default: 1 } },
    nodes: [{ id: 'wait', type: 'control.sleep', config: { ms: 1 } }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  // The YAML parser thread starts on first use: not part of any timed request.
  await api.call('POST', '/api/v1/pipelines', 'name: warm-up\n', { 'content-type': 'application/yaml' });
});

after(async () => {
  await Promise.all(started.map((id) => env.client.workflow.getHandle(id).terminate('fuzz cleanup').catch(() => undefined)));
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
  console.log(`fuzz: ${requests} requests`);
});

// Values a hostile client sends: odd text, lone surrogates, NUL, prototype names, long strings,
// numbers at and past every range, deep nesting, and arbitrary JSON.
const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });
const specialKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'k\u0000', '\ud800', 'y'.repeat(300), 'needs', 'config', '');
const key = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }), specialKey);
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfff', '__proto__', '%ZZ', '{{ nodes.wait.outputs.x }}', `{{${' '.repeat(5000)}`, '25d', '1.5s', 'central', 'control.sleep', 'a.b'),
  fc.integer({ min: 201, max: 70_000 }).map((n) => 'z'.repeat(n)),
  fc.constantFrom(0, -1, 1.5, 2_147_483_647, 2_147_483_648, Number.MAX_SAFE_INTEGER, 1e308, -1e308),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: 30, max: 300 }).map(nested),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** Sets `value` at `path` inside `target` as an own property (so __proto__ stays a key, as JSON.parse makes it). */
function setAt(target: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let at: Record<string | number, unknown> = target;
  for (const segment of path.slice(0, -1)) {
    const next = at[segment];
    if (typeof next !== 'object' || next === null || !Object.hasOwn(at, segment)) {
      Object.defineProperty(at, segment, { value: {}, enumerable: true, writable: true, configurable: true });
    }
    at = at[segment] as Record<string | number, unknown>;
  }
  Object.defineProperty(at, path[path.length - 1] as string | number, { value, enumerable: true, writable: true, configurable: true });
}

const specPath = fc.oneof(
  fc.constantFrom<(string | number)[]>(
    ['name'], ['description'], ['maxParallel'], ['nodes'], ['params'], ['params', 'p', 'default'], ['defaults', 'timeout'],
    ['concurrency'], ['concurrency', 'limit'], ['concurrency', 'onConflict'],
    ['nodes', 0, 'id'], ['nodes', 0, 'type'], ['nodes', 0, 'site'], ['nodes', 0, 'when'], ['nodes', 0, 'timeout'],
    ['nodes', 0, 'retry', 'maximumAttempts'], ['nodes', 0, 'config', 'ms'], ['nodes', 0, 'config'],
    ['nodes', 1, 'needs'], ['nodes', 1, 'needs', 0], ['nodes', 1, 'config', 'batchSize'], ['nodes', 1, 'config', 'query'], ['nodes', 1, 'config', 'connection'],
  ),
  key.map((k) => [k]),
  key.map((k) => ['nodes', 1, 'config', k]),
  key.map((k) => ['params', k]),
);

const specCase = fc.record({
  mutations: fc.array(fc.tuple(specPath, hostile), { maxLength: 4 }),
  format: fc.constantFrom('json', 'yaml'),
  type: fc.constantFrom('application/json', 'application/vnd.api+json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/yaml', 'text/yaml', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=bogus'),
});

function baseSpec(): Record<string, unknown> {
  return {
    name: uniqueName('fz'),
    params: { p: { type: 'string', default: 'x' } },
    nodes: [
      { id: 'wait', type: 'control.sleep', config: { ms: 1 } },
      { id: 'read', type: 'postgres.read', needs: ['wait'], config: { connection: { $secret: 'DB' }, query: 'select 1' } },
    ],
  };
}

function serialise(value: unknown, format: string): string {
  if (format === 'yaml') {
    try {
      return toYaml(value);
    } catch {
      // Text YAML cannot write (a lone surrogate): send it as JSON, which YAML reads too.
    }
  }
  return JSON.stringify(value) ?? 'null';
}

/** Every property a response must have, whatever was sent. */
async function send(method: string, path: string, body: string | undefined, headers: Record<string, string>, sent: unknown) {
  const { ms, ...res } = await bestOfTwo(REQUEST_LIMIT_MS, async () => {
    requests++;
    const start = performance.now();
    const res = await api.call(method, path, body, headers);
    return { ...res, ms: performance.now() - start };
  });
  const what = `${method} ${path.slice(0, 120)} (${headers['content-type'] ?? 'no body'}) -> ${res.status} ${JSON.stringify(res.json)?.slice(0, 400)}`;
  assert.ok(res.status < 500, what);
  assert.ok(ms < REQUEST_LIMIT_MS, `${what}: took ${Math.round(ms)} ms`);
  if (res.status >= 400) {
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
    assert.ok(Array.isArray(res.json?.errors), what);
    if ([400, 413, 415, 422].includes(res.status)) assert.ok(res.json.errors.length > 0, `${what}: no error names a path`);
    for (const e of res.json.errors) assert.ok(typeof e.path === 'string' && typeof e.message === 'string', what);
    // A refusal quotes at most ~200 characters of what was sent (a created spec is sent back whole, by design).
    assertNoLongEcho(sent, res.json);
  }
  if (res.status === 201 && typeof res.json?.runId === 'string') started.push(res.json.runId);
  return res;
}

test('mutated specs, as JSON or YAML under any content type, are answered below 500, fast, with paths and short echoes', async () => {
  await fc.assert(
    fc.asyncProperty(specCase, async ({ mutations, format, type }) => {
      const spec = baseSpec();
      for (const [path, value] of mutations) setAt(spec, path, value);
      const text = serialise(spec, format);
      await send('POST', '/api/v1/pipelines', text, { 'content-type': type }, spec);
    }),
    { numRuns: RUNS, ...SEED },
  );
});

const runBody = fc.oneof(
  fc.record({ params: fc.dictionary(key, hostile, { maxKeys: 3 }), version: hostile }, { requiredKeys: [] }),
  fc.record({ params: fc.record({ label: hostile, n: hostile }, { requiredKeys: [] }) }),
  hostile,
);
const bodyType = fc.constantFrom('application/json', 'application/vnd.api+json', 'application/json; charset=latin1', 'application/json; charset=utf-16le', 'text/plain', 'application/yaml');

test('mutated run bodies under any content type are answered below 500, fast, with paths and short echoes', async () => {
  await fc.assert(
    fc.asyncProperty(runBody, bodyType, async (body, type) => {
      await send('POST', `/api/v1/pipelines/${pipeline}/runs`, JSON.stringify(body) ?? 'null', { 'content-type': type }, body);
    }),
    { numRuns: RUNS, ...SEED },
  );
});

// Path segments and query strings as a client can write them: encoded text, broken escapes, NUL, long.
const rawText = fc.oneof(
  fc.string({ maxLength: 16 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 8 }).map((s) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return '%ED%A0%80';
    }
  }),
  fc.constantFrom('%ZZ', '%E0%A4%A', '%00', '%', '%C0%80', '%ED%A0%80', '..', '%2F', '__proto__', 'constructor', 'a'.repeat(400), '%25'),
);
const route = fc.constantFrom(
  ['GET', '/api/v1/runs/$'], ['POST', '/api/v1/runs/$/cancel'], ['POST', '/api/v1/runs/$/pause'], ['GET', '/api/v1/pipelines/$'],
  ['POST', '/api/v1/pipelines/$/runs'], ['POST', '/api/v1/pipelines/$/check'], ['DELETE', '/api/v1/keys/$'], ['GET', '/api/v1/runs'],
  ['GET', '/api/v1/pipelines'], ['GET', '/api/v1/audit'], ['GET', '/api/v1/keys'], ['PUT', '/api/v1/pipelines/$'], ['GET', '/api/v1/$'],
);
const query = fc.array(fc.tuple(fc.oneof(rawText, fc.constantFrom('version', 'limit', 'status', 'pipeline', 'actor', 'since', 'cursor')), rawText), { maxLength: 3 });

test('arbitrary paths and query strings are answered below 500, fast, with paths and short echoes', async () => {
  await fc.assert(
    fc.asyncProperty(route, rawText, query, async ([method, template], segment, pairs) => {
      const qs = pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
      const path = `${(template as string).replace('$', segment)}${qs}`;
      const decoded = (s: string) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      };
      await send(method as string, path, undefined, {}, [segment, decoded(segment), ...pairs.flat(), ...pairs.flat().map(decoded)]);
    }),
    { numRuns: RUNS, ...SEED },
  );
});

test('while the worst-case spec (every node needing a near-miss id) is validated, GET /healthz answers within 200 ms', async () => {
  const id = (i: number) => `node_${String(i).padStart(5, '0')}`;
  const spec = { name: uniqueName('worst'), nodes: Array.from({ length: MAX_NODES }, (_, i) => ({ id: id(i), type: 'control.sleep', needs: [`${id((i + 1) % MAX_NODES)}x`], config: { ms: 1 } })) };
  const body = JSON.stringify(spec);
  // A key of its own: the fuzzing above may have used up the admin key's requests for this minute.
  const key = await api.makeKey('author');
  const { res, ms, health } = await bestOfTwo(REQUEST_LIMIT_MS, async () => {
    const timed = await timedWithHealth(api.url, () => api.call('POST', '/api/v1/pipelines', body, { 'content-type': 'application/json', authorization: `Bearer ${key}` }));
    // Slow health checks count as slow too: either makes the try worth repeating.
    return { ...timed, ms: Math.max(timed.ms, 5 * Math.max(...timed.health)) };
  });
  assert.equal(res.status, 422);
  assert.ok(ms < REQUEST_LIMIT_MS, `the worst case took ${Math.round(ms)} ms (or healthz a fifth of that)`);
  assert.ok(health.length > 0 && Math.max(...health) < HEALTH_LIMIT_MS, `healthz took ${health.map(Math.round).join(', ')} ms`);
});
