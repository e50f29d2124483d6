// Pausing jsonl.read mid-way through a gzip file on a real Temporal server and resuming it: the read
// goes on from its cursor (decompress-and-skip), so every line is staged exactly once and PostgreSQL
// ends up with exactly the file's rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { BATCH, amount, label, pauseMidReadAndResume } from '../../../test/helpers/files-pause.js';
import { spec } from '../../../test/helpers/pipelines.js';

let env: ConnectorTestEnv;

before(async () => {
  env = await connectorTestEnv({ queue: 'jsonl-pause', workerEnv: (db) => ({ PAUSE_FILES_DB: db.url }), tempDir: 'sluice-jsonl-pause-' });
});

after(() => env?.close());

test('pausing jsonl.read mid-way through a gzip file and resuming (decompress and skip) loads every line exactly once', async () => {
  const rows = 100_000;
  const lines: string[] = [];
  for (let i = 1; i <= rows; i++) lines.push(JSON.stringify({ id: i, label: label(i), amount: amount(i) }));
  const file = path.join(env.dir, 'big.jsonl.gz');
  fs.writeFileSync(file, zlib.gzipSync(lines.join('\n') + '\n'));
  const result = await pauseMidReadAndResume(
    env,
    spec({
      name: uniqueName('jsonl-pause'),
      nodes: [
        { id: 'extract', type: 'jsonl.read', config: { path: file, batchSize: BATCH, types: { id: 'int', amount: 'numeric' } } },
        { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'PAUSE_FILES_DB' }, table: 'jsonl_big' } },
      ],
    }),
    rows,
  );
  assert.equal(result.nodes.load!.outputs!.rows, rows);
  const { rows: check } = await env.db.pool.query(
    `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id)::int AS lo, max(id)::int AS hi, sum(amount)::text AS total FROM jsonl_big`,
  );
  const total = lines.reduce((sum, _, i) => sum + BigInt(amount(i + 1).replace('.', '')), 0n);
  assert.deepEqual(check[0], { n: rows, d: rows, lo: 1, hi: rows, total: `${total / 100n}.${String(total % 100n).padStart(2, '0')}` });
});
