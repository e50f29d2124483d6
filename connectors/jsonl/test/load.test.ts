// jsonl.read feeding postgres.write on a real Temporal server and a real PostgreSQL: malformed
// lines are dead letters within maxBadRecords and fail the node past it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';
import { type DatasetRef } from '../../../src/kit/dataset.js';
import type { RunProgress } from '../../../src/workflows/messages.js';

let env: ConnectorTestEnv;

before(async () => {
  env = await connectorTestEnv({ queue: 'jsonl-load', workerEnv: (db) => ({ FILES_DB: db.url }), tempDir: 'sluice-jsonl-load-' });
});

after(() => env?.close());

const DB = { $secret: 'FILES_DB' };

async function run(nodes: unknown[], extra: Record<string, unknown> = {}): Promise<RunProgress> {
  const handle = await startRun(env.client, env.taskQueue, spec({ name: uniqueName('files'), nodes, ...extra }));
  return (await handle.result()) as RunProgress;
}

/** 20 events, lines 4, 9 and 15 malformed in three different ways. */
function eventsFile(name: string): string {
  const lines: string[] = [];
  for (let i = 1; i <= 20; i++) {
    if (i === 4) lines.push('{"id": 4, "kind": "click"');
    else if (i === 9) lines.push('["not", "an", "object"]');
    else if (i === 15) lines.push('{"id": "fifteen", "kind": "view"}');
    else lines.push(JSON.stringify({ id: i, kind: i % 2 ? 'view' : 'click' }));
  }
  const file = path.join(env.dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('malformed JSON lines', () => {
  test('with maxBadRecords at or above their number the node succeeds, counts them and dead-letters each with its line', async () => {
    const file = eventsFile('events-ok.jsonl');
    const result = await run([
      { id: 'events', type: 'jsonl.read', maxBadRecords: 3, config: { path: file, types: { id: 'int' }, batchSize: 4 } },
      { id: 'load', type: 'postgres.write', needs: ['events'], config: { connection: DB, table: 'events_ok' } },
    ]);
    assert.equal(result.status, 'completed');
    const out = result.nodes.events!.outputs!;
    assert.equal(out.rows, 17);
    assert.equal(out.badRows, 3);
    assert.equal(result.nodes.events!.stats.badRows, 3);
    const count = await env.db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM events_ok WHERE id NOT IN (4, 9, 15)`);
    assert.deepEqual(count.rows[0], { n: 17, d: 17 });

    const rejected = out.rejected as DatasetRef;
    const dead = await env.stagedRows(rejected);
    assert.deepEqual(
      dead.map((d) => [d.position, d.record]),
      [
        ['events-ok.jsonl line 4', '{"id": 4, "kind": "click"'],
        ['events-ok.jsonl line 9', '["not", "an", "object"]'],
        ['events-ok.jsonl line 15', '{"id": "fifteen", "kind": "view"}'],
      ],
    );
    assert.match(String(dead[0]!.reason), /^invalid JSON: /);
    assert.equal(dead[1]!.reason, 'expected a JSON object, found an array');
    assert.equal(dead[2]!.reason, 'field "id": cannot read "fifteen" as int');
  });

  test('more malformed lines than maxBadRecords fail the node, not retried, with the count and the threshold', async () => {
    const file = eventsFile('events-fail.jsonl');
    const handle = await startRun(
      env.client,
      env.taskQueue,
      spec({
        name: uniqueName('files-bad'),
        defaults: { retry: { maximumAttempts: 3, initialInterval: '100ms' } },
        nodes: [{ id: 'events', type: 'jsonl.read', maxBadRecords: 2, config: { path: file, types: { id: 'int' }, batchSize: 4 } }],
      }),
    );
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(String(err.cause?.message), /node "events" failed: 3 bad records, more than maxBadRecords \(2\); first in this batch: events-fail\.jsonl line 15: field "id"/);
      return true;
    });
    const p = await progressOf(handle);
    assert.equal(p.nodes.events!.state, 'failed');
    assert.equal(p.nodes.events!.attempt, 1, 'bad data is not retried');
  });
});
