// Pausing csv.read mid-file on a real Temporal server and resuming it: the read goes on from its
// cursor (a seek in a plain file), so every line is staged exactly once.
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { BATCH, amount, label, pauseMidReadAndResume } from '../../../test/helpers/files-pause.js';
import { spec } from '../../../test/helpers/pipelines.js';

let env: ConnectorTestEnv;

before(async () => {
  env = await connectorTestEnv({ queue: 'csv-pause', tempDir: 'sluice-csv-pause-' });
});

after(() => env?.close());

test('pausing csv.read mid-way through a 200k-line file and resuming stages every line exactly once', async () => {
  const rows = 200_000;
  const file = path.join(env.dir, 'big.csv');
  const out = fs.createWriteStream(file);
  out.write('id,label,amount\n');
  for (let i = 1; i <= rows; i++) out.write(`${i},"${label(i).replace(/"/g, '""')}",${amount(i)}\n`);
  await new Promise((r) => out.end(r));
  await pauseMidReadAndResume(
    env,
    spec({
      name: uniqueName('csv-pause'),
      nodes: [{ id: 'extract', type: 'csv.read', config: { path: file, batchSize: BATCH, types: { id: 'int', amount: 'numeric' } } }],
    }),
    rows,
  );
});
