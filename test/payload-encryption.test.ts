// Payload encryption end to end on the real Temporal dev server: runs started over REST by an API
// and executed by a worker that both hold SLUICE_PAYLOAD_KEYS leave a history (read without the
// codec: raw gRPC and `temporal workflow show`) with no spec text, param value, table name,
// secret name, dataset URI or failure message in plain text; the same history decodes with the
// keys (in process, and through the API's codec endpoint by Temporal's own CLI); after a key
// rotation the old run still decodes and replays; a missing key id fails clearly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { PayloadDecryptionError, PayloadEncryptionCodec } from '../src/codec/codec.js';
import { payloadDataConverter } from '../src/codec/data-converter.js';
import { parsePayloadKeys, type PayloadKeyring } from '../src/codec/keys.js';
import type { RunProgress } from '../src/workflows/messages.js';
import { temporalCliPath } from '../temporal/dev-server.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { testActivities, testCatalog } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';

function keyring(text: string): PayloadKeyring {
  const parsed = parsePayloadKeys(text);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.keyring;
}

const keyA = crypto.randomBytes(32).toString('base64');
const keyB = crypto.randomBytes(32).toString('base64');
const keysA = keyring(`enc-a:${keyA}`);
const rotated = keyring(`enc-b:${keyB},enc-a:${keyA}`);
const onlyB = keyring(`enc-b:${keyB}`);

const tag = crypto.randomBytes(4).toString('hex');
const secretName = `ENC_DB_${tag.toUpperCase()}`;
const source = `enc_src_${tag}`;
const target = `enc_dst_${tag}`;
const marker = `marker-value-${tag}`;
const failureText = `broken-on-purpose-${tag}`;

let env: TemporalTestEnv;
let raw: Client;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let worker: RunningWorker;
const taskQueue = uniqueName('encrypted');
let etlRun = '';
let failedRun = '';

before(async () => {
  [env, db] = await Promise.all([temporalEnv({ dataConverter: payloadDataConverter(keysA)! }), createTestDatabase()]);
  // The same server through a client that has no codec: what Temporal itself stores.
  raw = new Client({ connection: env.connection, namespace: env.namespace });
  store = await createStore(db.url);
  await db.pool.query(`CREATE TABLE ${source} AS SELECT g AS id, 'label ' || g AS label FROM generate_series(1, 500) g`);
  worker = await startWorker(env.address, {
    namespace: env.namespace,
    taskQueue,
    extraActivities: testActivities,
    env: { ...process.env, [secretName]: db.url },
    dataConverter: payloadDataConverter(keysA)!,
  });
  api = await startTestApi({
    store,
    client: env.client,
    taskQueue,
    catalog: testCatalog,
    codec: { codec: new PayloadEncryptionCodec(keysA), namespace: env.namespace, origins: [], localUiOrigins: [] },
  });
});

after(async () => {
  await api?.close();
  await worker?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

type Json = any;

async function runToEnd(spec: Json, params: Json): Promise<{ runId: string; view: Json }> {
  const created = await api.call('POST', '/api/v1/pipelines', spec);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const started = await api.call('POST', `/api/v1/pipelines/${spec.name}/runs`, { params });
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const runId: string = started.json.runId;
  const view = await waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs/${runId}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return ['completed', 'failed', 'cancelled'].includes(r.json.status) ? r.json : null;
  }, `run ${runId} to end`, 90_000);
  return { runId, view };
}

/** Every string of a JSON document, plus the text of each base64 string in it (payload data is base64 there). */
function corpus(json: string): string {
  const out: string[] = [json];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
    else if (typeof node === 'string' && node.length >= 4 && /^[A-Za-z0-9+/]+={0,2}$/.test(node)) out.push(Buffer.from(node, 'base64').toString('utf8'));
  };
  walk(JSON.parse(json));
  return out.join('\n');
}

type PayloadJson = { metadata?: Record<string, string>; data?: string };

/** Each payload of a JSON history with the path to it. */
function payloadsOf(node: unknown, at = '', out: { at: string; payload: PayloadJson }[] = []): { at: string; payload: PayloadJson }[] {
  if (Array.isArray(node)) node.forEach((n, i) => payloadsOf(n, `${at}[${i}]`, out));
  else if (node && typeof node === 'object') {
    const rec = node as Record<string, unknown>;
    if (rec.metadata && typeof rec.metadata === 'object' && 'encoding' in rec.metadata) out.push({ at, payload: rec as PayloadJson });
    else for (const [k, v] of Object.entries(rec)) payloadsOf(v, `${at}.${k}`, out);
  }
  return out;
}

function fromJson(p: PayloadJson): Payload {
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(p.data ?? '', 'base64') };
}

const encodingOf = (p: Payload): string => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString();

/** The history's payloads decrypted with `codec`, as text. */
async function decodedText(historyJson: string, codec: PayloadEncryptionCodec): Promise<string> {
  const texts: string[] = [];
  for (const { payload } of payloadsOf(JSON.parse(historyJson))) {
    const [p] = await codec.decode([fromJson(payload)]);
    texts.push(Buffer.from(p!.data ?? new Uint8Array()).toString('utf8'));
  }
  return texts.join('\n');
}

async function rawHistory(runId: string): Promise<string> {
  return historyToJSON(await raw.workflow.getHandle(runId).fetchHistory());
}

/** `temporal workflow show` as JSON; asynchronous, since the codec endpoint it may call is served by this process. */
async function workflowShow(runId: string, ...extra: string[]): Promise<string> {
  const args = ['workflow', 'show', '--address', env.address, '--namespace', env.namespace, '--workflow-id', runId, '--output', 'json', ...extra];
  return (await promisify(execFile)(temporalCliPath(), args, { encoding: 'utf8', timeout: 30_000 })).stdout;
}

function assertNone(text: string, needles: string[], where: string): void {
  for (const n of needles) assert.ok(!text.includes(n), `${where} shows "${n}" in plain text`);
}

function assertAll(text: string, needles: string[], where: string): void {
  for (const n of needles) assert.ok(text.includes(n), `${where} lacks "${n}"`);
}

test('an ETL run with a flaky node completes, and its history holds nothing of the spec, params, outputs or failures in plain text', async () => {
  const name = `enc-etl-${tag}`;
  const { runId, view } = await runToEnd(
    {
      name,
      params: { since: { type: 'number', default: 0 }, marker: { type: 'string' } },
      defaults: { retry: { initialInterval: '100ms', backoffCoefficient: 1 } },
      nodes: [
        { id: 'extract', type: 'postgres.read', config: { connection: { $secret: secretName }, query: `select id, label from ${source} where id > $1 order by id`, params: ['{{ params.since }}'], batchSize: 200 } },
        { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: secretName }, table: target, mode: 'upsert', key: ['id'] } },
        { id: 'wobble', type: 'test.flaky', config: { failures: 1 } },
      ],
    },
    { since: 100, marker },
  );
  etlRun = runId;
  assert.equal(view.status, 'completed', JSON.stringify(view));
  assert.equal(view.nodes.load.stats.rowsOut, 400);
  assert.equal(view.nodes.wobble.attempt, 2);
  assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM ${target}`)).rows[0].n, 400);

  const stagingName = path.basename(worker.stagingDir);
  const needles = [source, target, marker, secretName, stagingName, 'flaky failure on attempt 1', 'label 1'];
  const history = await rawHistory(runId);
  assertNone(corpus(history), needles, 'the raw history');
  assertNone(corpus(await workflowShow(runId)), needles, '`temporal workflow show`');

  // Every payload is the codec's envelope, except search attributes, which Temporal never encodes.
  const payloads = payloadsOf(JSON.parse(history));
  assert.ok(payloads.length > 10);
  const plain = payloads.filter(({ payload }) => encodingOf(fromJson(payload)) !== 'binary/encrypted');
  assert.ok(plain.length > 0);
  // Patch markers hold only the id of a workflow code change (patched()), written by the SDK's core without the codec.
  for (const { at } of plain) {
    assert.match(at, /\.searchAttributes\.indexedFields\.(SluicePipeline|SluiceStatus|BuildIds|TemporalChangeVersion)$|\.markerRecordedEventAttributes\.details\.patch-data\.payloads\[0\]$/, `${at} is not encrypted`);
  }
  // And those hold only the pipeline's name and the run's status.
  const described = await env.connection.workflowService.describeWorkflowExecution({ namespace: env.namespace, execution: { workflowId: runId } });
  const indexed = described.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
  const attributes = Object.fromEntries(Object.entries(indexed).filter(([k]) => k.startsWith('Sluice')).map(([k, p]) => [k, defaultPayloadConverter.fromPayload(p)]));
  assert.deepEqual(attributes, { SluicePipeline: name, SluiceStatus: 'completed' });

  // The same history decoded with the key shows all of it.
  assertAll(await decodedText(history, new PayloadEncryptionCodec(keysA)), [source, target, marker, secretName, stagingName, 'flaky failure on attempt 1'], 'the decoded history');
});

test('memo, the Web UI summary and query answers leave the worker and API encrypted too', async () => {
  assert.ok(etlRun, 'the ETL run ran');
  const execution = { workflowId: etlRun };
  const described = await env.connection.workflowService.describeWorkflowExecution({ namespace: env.namespace, execution });
  const memo = Object.values(described.workflowExecutionInfo?.memo?.fields ?? {});
  const metadata = described.executionConfig?.userMetadata;
  const encrypted = [...memo, metadata?.summary, metadata?.details].filter((p): p is Payload => p != null);
  assert.equal(encrypted.length, memo.length + 2);
  assert.ok(memo.length > 0);
  for (const p of encrypted) assert.equal(encodingOf(p), 'binary/encrypted');

  const answer = await env.connection.workflowService.queryWorkflow({ namespace: env.namespace, execution, query: { queryType: 'progress' } });
  const [progressPayload] = answer.queryResult?.payloads ?? [];
  assert.equal(encodingOf(progressPayload!), 'binary/encrypted');
  assert.ok(!Buffer.from(progressPayload!.data!).toString('latin1').includes(path.basename(worker.stagingDir)));
  const [decoded] = await new PayloadEncryptionCodec(keysA).decode([progressPayload!]);
  const progress = defaultPayloadConverter.fromPayload<RunProgress>(decoded!);
  assert.match(JSON.stringify(progress.nodes.extract?.outputs), new RegExp(path.basename(worker.stagingDir)), 'the decoded answer has the dataset reference');

  // The codec-aware client reads them as values.
  const handle = env.client.workflow.getHandle(etlRun);
  assert.deepEqual((await handle.describe()).memo, { pipeline: `enc-etl-${tag}`, version: 1 });
  assert.equal((await handle.query<RunProgress>('progress')).status, 'completed');
});

test('a failing node: the failure message is encrypted in history, its type is not, and workflow code still reads both', async () => {
  const { runId, view } = await runToEnd({ name: `enc-fail-${tag}`, recoveryWindow: 0, nodes: [{ id: 'boom', type: 'test.fail', config: { message: failureText } }] }, {});
  failedRun = runId;
  assert.equal(view.status, 'failed');
  // The workflow read the activity's decoded message and details (attempt) to build its progress.
  assert.equal(view.nodes.boom.error, failureText);
  assert.equal(view.nodes.boom.attempt, 1);

  const history = await rawHistory(runId);
  assertNone(corpus(history), [failureText], 'the raw history');
  const events = JSON.parse(history).events as Json[];
  const failed = events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes.failure;
  assert.equal(failed.message, 'Encoded failure', 'the workflow failure was encoded in the sandbox');
  assert.equal(failed.applicationFailureInfo.type, 'NodeFailed');
  const activityFailure = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes.failure;
  assert.equal(activityFailure.cause?.applicationFailureInfo?.type ?? activityFailure.applicationFailureInfo?.type, 'TestFailure');

  await assert.rejects(env.client.workflow.getHandle(runId).result(), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'NodeFailed');
    assert.equal(err.cause.message, `node "boom" failed: ${failureText}`);
    return true;
  });
  assertAll(await decodedText(history, new PayloadEncryptionCodec(keysA)), [failureText], 'the decoded history');
});

test("Temporal's CLI decodes the history through the API's codec endpoint with a key", async () => {
  assert.ok(etlRun && failedRun);
  const auth = ['--codec-endpoint', `${api.url}/codec`, '--codec-auth', `Bearer ${api.adminKey}`];
  assertAll(corpus(await workflowShow(etlRun, ...auth)), [source, target, marker, secretName], 'workflow show with the codec');
  assertAll(corpus(await workflowShow(failedRun, ...auth)), [failureText], 'workflow show with the codec');
  // Without a key the endpoint answers 401 (audited) and the CLI gives up at its deadline.
  const refusals = async () => (await store.listAudit({ limit: 500 })).entries.filter((e) => e.status === 401 && e.action === 'POST /codec/decode').length;
  const before = await refusals();
  await assert.rejects(workflowShow(etlRun, '--codec-endpoint', `${api.url}/codec`, '--command-timeout', '3s'), /deadline exceeded/);
  assert.ok((await refusals()) > before, 'the codec endpoint refused the keyless CLI');
});

test('after a key rotation the old run still decodes and replays; without its key it fails naming the key id', async () => {
  assert.ok(etlRun);
  const history = await rawHistory(etlRun);
  assertAll(await decodedText(history, new PayloadEncryptionCodec(rotated)), [source, target, marker], 'the history decoded after rotation');

  // A worker with the rotated keys answers a query on the old run: it replays the history encrypted
  // with enc-a, and its answer is encrypted with the new first key, enc-b.
  await worker.stop();
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, extraActivities: testActivities, env: { ...process.env, [secretName]: db.url }, dataConverter: payloadDataConverter(rotated)! });
  const rotatedClient = new Client({ connection: env.connection, namespace: env.namespace, dataConverter: payloadDataConverter(rotated)! });
  assert.equal((await rotatedClient.workflow.getHandle(etlRun).query<RunProgress>('progress')).nodes.load?.stats.rowsOut, 400);
  const answer = await env.connection.workflowService.queryWorkflow({ namespace: env.namespace, execution: { workflowId: etlRun }, query: { queryType: 'progress' } });
  assert.equal(Buffer.from(answer.queryResult!.payloads![0]!.metadata!['encryption-key-id']!).toString(), 'enc-b');
  // Payloads it writes now carry the new key id.
  const [fresh] = await new PayloadEncryptionCodec(rotated).encode([defaultPayloadConverter.toPayload(1)]);
  assert.equal(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString(), 'enc-b');

  // With enc-a gone, the old run's payloads cannot be read, and the error says which key is missing.
  const [first] = payloadsOf(JSON.parse(history)).filter(({ payload }) => encodingOf(fromJson(payload)) === 'binary/encrypted');
  await assert.rejects(new PayloadEncryptionCodec(onlyB).decode([fromJson(first!.payload)]), (err: unknown) => {
    assert.ok(err instanceof PayloadDecryptionError);
    assert.match(err.message, /key id "enc-a", which is not in SLUICE_PAYLOAD_KEYS \(known ids: enc-b\)/);
    return true;
  });
  const onlyBClient = new Client({ connection: env.connection, namespace: env.namespace, dataConverter: payloadDataConverter(onlyB)! });
  await assert.rejects(onlyBClient.workflow.getHandle(etlRun).describe(), /key id "enc-a"/);
});
