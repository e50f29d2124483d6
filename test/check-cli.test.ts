// `sluice check FILE` as a user runs it: --local with this shell's secrets, and through Temporal
// where the worker, not the shell, holds the secrets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkFile } from '../src/cli/check.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';

const SLUICE = path.join(import.meta.dirname, '..', 'bin', 'sluice.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-check-cli-'));

let env: TemporalTestEnv;
let db: TestDatabase;
let worker: RunningWorker;
const taskQueue = uniqueName('check-cli');
let secrets: Record<string, string>;

/** Runs the CLI without blocking this process (the worker under test lives here). */
function sluice(args: string[], extraEnv: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  for (const name of Object.keys(secrets)) if (!(name in extraEnv)) delete childEnv[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SLUICE, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // 'close', not 'exit': stdout may still hold data when the process exits.
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function pipelineFile(name: string, params = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    [
      `name: ${name}`,
      params,
      'nodes:',
      '  - id: extract',
      '    type: postgres.read',
      `    config: { connection: { $secret: CLI_SRC }, query: "select datname from pg_database where datname > $1", params: ["{{ params.since }}"] }`,
      '  - id: clean',
      '    type: transform.map',
      '    needs: [extract]',
      '    config: { rename: { datname: name } }',
      '  - id: load',
      '    type: postgres.write',
      '    needs: [clean]',
      '    config: { connection: { $secret: CLI_DST }, table: dw.names }',
    ].join('\n'),
  );
  return file;
}

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  const wrong = new URL(db.url);
  wrong.pathname = `/${db.name}_gone`;
  secrets = { CLI_SRC: db.url, CLI_DST: wrong.toString() };
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: { ...process.env, ...secrets } });
});

after(async () => {
  await worker?.stop();
  await db?.drop();
  await env?.close();
});

const PARAMS = 'params: { since: { type: string, default: "a" } }';

test('sluice check --local prints a line per node from this shell\'s secrets and exits 1 when one fails', async () => {
  const file = pipelineFile(uniqueName('local'), PARAMS);
  const res = await sluice(['check', '--local', file], secrets);
  assert.equal(res.code, 1, res.stderr);
  const lines = res.stdout.trim().split('\n');
  assert.equal(lines.length, 3, res.stdout);
  assert.match(lines[0]!, /^extract\s+ok\s+\d+ms$/);
  assert.match(lines[1]!, /^clean\s+skipped\s+no check for this node type$/);
  assert.equal(lines[2], `load     FAILED   cannot connect to the destination database: database "${db.name}_gone" does not exist`);

});

test('sluice check --local exits 0 when every node passes', async () => {
  // In-process (the command's own function) to keep this file fast; the spawned case is above.
  const lines: string[] = [];
  const code = await checkFile(pipelineFile(uniqueName('passing'), PARAMS), { param: [], local: true, timeout: 5000 }, (l) => lines.push(l), { ...secrets, CLI_DST: db.url });
  assert.equal(code, 0, lines.join('\n'));
  assert.match(lines[2]!, /^load\s+ok\s+\d+ms$/);
});

test('sluice check runs the checks on the worker through Temporal, with the worker\'s secrets, not the shell\'s', async () => {
  const file = pipelineFile(uniqueName('remote'), 'params: { since: { type: string } }');
  // The shell has no CLI_SRC/CLI_DST: only the worker started by this test has them.
  const res = await sluice(['check', file, '--param', 'since=a', '--timeout', '5s'], { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace, SLUICE_TASK_QUEUE: taskQueue });
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stdout, /^extract\s+ok\s+\d+ms$/m);
  assert.match(res.stdout, new RegExp(`^load\\s+FAILED\\s+cannot connect to the destination database: database "${db.name}_gone" does not exist$`, 'm'));
});

test('sluice check reports missing or mistyped params with their paths and exits 1 before checking', async () => {
  const file = pipelineFile(uniqueName('params'), 'params: { since: { type: string }, n: { type: number, default: 1 } }');
  const lines: string[] = [];
  const code = await checkFile(file, { param: ['n=abc', 'extra=1'], local: true, timeout: 5000 }, (l) => lines.push(l), secrets);
  assert.equal(code, 1);
  assert.deepEqual(lines.sort(), [
    'params.extra: unknown param (declared: since, n)',
    'params.n: expected number, got string',
    'params.since: required (string, no default)',
  ]);
});
