// The README's main command, end to end: `npm run demo` (here with --exit and free ports) seeds
// a shop, runs the example pipeline through the API with a pause and resume, and verifies it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from './helpers/env.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('sluice_demo');
});
after(async () => {
  await db?.drop();
});

test('the demo runs the example pipeline end to end and loads exactly 100,000 orders', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--exit', '--free-ports'], {
    env: { ...process.env, SLUICE_EXAMPLE_DB: db.url, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, output);
  assert.match(output, /pause requested while load_orders runs/);
  assert.match(output, /\[paused\]/, 'the run reported paused');
  assert.match(output, /DEMO OK: 100,000 orders loaded exactly once/);
  const rows = await db.pool.query('SELECT count(*)::int AS n, sum(amount_eur::numeric)::numeric(14,2) AS total FROM dw.orders');
  const source = await db.pool.query('SELECT sum(amount)::numeric(14,2) AS total FROM shop.orders');
  assert.equal(rows.rows[0].n, 100_000);
  assert.equal(rows.rows[0].total, source.rows[0].total);
});
