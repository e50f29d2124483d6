// One node's check as the sluice.check activity runs it (secrets from the given env, config parsed
// by the node type's schema, the type's own check), and how checkPipeline plans each node's check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { connectors } from '../connectors/index.js';
import { task, type Connector } from '../src/kit/contract.js';
import { nodeChecker } from '../src/activities/check.js';
import { createLogger } from '../src/log.js';
import { planChecks } from '../src/workflows/check.js';
import type { NodeCheckTask } from '../src/workflows/messages.js';
import { createTestDatabase, uniqueName, type TestDatabase } from './helpers/env.js';
import { spec } from './helpers/pipelines.js';
import { testPolicy } from './helpers/access.js';

let db: TestDatabase;
const logger = createLogger('silent');
const run = { runId: 'check-test', attempt: 1 };

/** Test-only node types: one whose check quotes its secret, one whose check never answers. */
let lastSignal: AbortSignal | null = null;
const fake: Connector = {
  name: 'fake',
  description: 'checks for tests',
  nodes: [
    task({
      verb: 'leak',
      description: 'its check fails quoting the URL it was given',
      config: z.object({ url: z.string() }),
      check: async (config) => {
        throw new Error(`cannot reach ${config.url}`);
      },
      run: async () => ({ outputs: {} }),
    }),
    task({
      verb: 'hang',
      description: 'its check waits until aborted',
      config: z.object({}),
      check: (_config, ctx) => {
        lastSignal = ctx.signal;
        return new Promise<void>(() => undefined);
      },
      run: async () => ({ outputs: {} }),
    }),
  ],
};

function nodeTask(type: string, config: Record<string, unknown>, extra: Partial<NodeCheckTask> = {}): NodeCheckTask {
  return { pipeline: 'p', nodeId: 'n', type, site: null, config, timeoutMs: 5000, ...extra };
}

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

test('a config that does not match the schema after secret resolution fails with its config path, without the secret', async () => {
  const secret = 'mysql://root:s3cret-pw-41@db.internal/shop';
  const check = nodeChecker({ connectors, env: { SHOP_DB: secret }, logger, policy: testPolicy });
  const result = await check(nodeTask('postgres.read', { connection: { $secret: 'SHOP_DB' }, query: 'select 1' }), run);
  assert.equal(result.ok, false);
  assert.ok('error' in result);
  assert.match(result.error, /^config\.connection: expected a postgres URL/);
  assert.ok(!result.error.includes('s3cret-pw-41') && !result.error.includes(secret), result.error);
});

test('a secret missing from the env fails naming the variable and the site that must set it', async () => {
  const check = nodeChecker({ connectors, env: {}, logger, policy: testPolicy });
  const result = await check(nodeTask('postgres.write', { connection: { $secret: 'ACME_DW' }, table: 't' }, { site: 'acme' }), run);
  assert.deepEqual(result, {
    ok: false,
    error: 'config.connection: secret ACME_DW is not set on the worker of site acme, which runs this node; set the environment variable ACME_DW there',
  });
});

test('a reachable source passes with its duration, and a wrong database fails with the Postgres message', async () => {
  const good = new URL(db.url);
  good.password = 'pw-not-needed-71';
  const wrong = new URL(good);
  wrong.pathname = `/${db.name}_missing`;
  const check = nodeChecker({ connectors, env: { SRC: good.toString(), DST: wrong.toString() }, logger, policy: testPolicy });
  const ok = await check(nodeTask('postgres.read', { connection: { $secret: 'SRC' }, query: 'select 1 as x' }), run);
  assert.equal(ok.ok, true);
  assert.ok('ms' in ok && ok.ms >= 0, JSON.stringify(ok));
  const failed = await check(nodeTask('postgres.write', { connection: { $secret: 'DST' }, table: 'dw.orders' }), run);
  assert.deepEqual(failed, { ok: false, error: `cannot connect to the destination database: database "${db.name}_missing" does not exist` });
});

test('a failed check is a result whose message has every secret value scrubbed', async () => {
  const check = nodeChecker({ connectors: [fake], env: { API_URL: 'https://user:tok-9931@api.example.com/v1' }, logger, policy: testPolicy });
  const result = await check(nodeTask('fake.leak', { url: { $secret: 'API_URL' } }), run);
  assert.deepEqual(result, { ok: false, error: 'cannot reach ***' });
});

test('a node type without a check is skipped once its config parses, and fails when it does not', async () => {
  const check = nodeChecker({ connectors, env: {}, logger, policy: testPolicy });
  assert.deepEqual(await check(nodeTask('transform.map', { rename: { a: 'b' } }), run), { ok: true, skipped: 'no check for this node type' });
  const bad = await check(nodeTask('transform.map', { rename: { a: 5 } }), run);
  assert.equal(bad.ok, false);
  assert.ok('error' in bad && bad.error.startsWith('config.rename.a: '), JSON.stringify(bad));
});

test('a check that does not answer within its timeout fails and is told to stop', async () => {
  const check = nodeChecker({ connectors: [fake], env: {}, logger, policy: testPolicy });
  const started = Date.now();
  const result = await check(nodeTask('fake.hang', {}, { timeoutMs: 1500 }), run);
  assert.deepEqual(result, { ok: false, error: 'the check did not finish within 1500ms' });
  assert.ok(Date.now() - started < 4000);
  assert.equal(lastSignal?.aborted, true);
});

test('a node type this worker does not have fails instead of throwing', async () => {
  const check = nodeChecker({ connectors, env: {}, logger, policy: testPolicy });
  assert.deepEqual(await check(nodeTask('kafka.read', {}, { site: 'acme' }), run), { ok: false, error: 'node type kafka.read is not installed on the worker of site acme' });
});

test('planning resolves params and run templates, and skips nodes whose config depends on upstream outputs', () => {
  const s = spec({
    name: uniqueName('plan'),
    params: { since: { type: 'string', default: '2024-01-01' } },
    nodes: [
      { id: 'extract', type: 'postgres.read', site: 'acme', config: { connection: { $secret: 'SRC' }, query: 'select 1 where $1 > $2', params: ['{{ params.since }}', '{{ run.pipeline }}'] } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'DST' }, table: '{{ nodes.extract.outputs.dataset.uri }}' } },
    ],
  });
  const planned = planChecks({ pipeline: s.name, version: 1, spec: s, params: { since: '2025-06-01' }, timeoutMs: 2000 }, 'check-x');
  assert.deepEqual(planned[0], {
    nodeId: 'extract',
    site: 'acme',
    task: {
      pipeline: s.name,
      nodeId: 'extract',
      type: 'postgres.read',
      site: 'acme',
      config: { connection: { $secret: 'SRC' }, query: 'select 1 where $1 > $2', params: ['2025-06-01', s.name] },
      timeoutMs: 2000,
    },
  });
  assert.deepEqual(planned[1], { nodeId: 'load', site: null, result: { ok: true, skipped: 'not checked: depends on upstream outputs (config.table)' } });
});
