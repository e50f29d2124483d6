// `sluice keys` and `sluice api` as an operator runs them on a fresh metadata database: the API
// refuses to start without a way to authenticate, the first key is made from the command line
// (which applies the migrations), works at once, is listed without its secret, and revoking it
// locks the API again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, temporalEnv, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';

const SLUICE = path.join(import.meta.dirname, '..', 'bin', 'sluice.js');

let env: TemporalTestEnv;
let db: TestDatabase;
const children: ChildProcess[] = [];

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase('sluice_cli_keys')]);
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await db?.drop();
  await env?.close();
});

function sluice(args: string[]) {
  return spawnSync(process.execPath, [SLUICE, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'error' } });
}

/** Starts `sluice api` on a free port; resolves with its URL, or rejects with its exit and output. */
function startApi(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [SLUICE, 'api'], {
    env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: env.address, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"port":(\d+)[^\n]*"msg":"API listening"/.exec(out);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, child });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(Object.assign(new Error(`sluice api exited with ${code}`), { code, out })));
  });
}

test('sluice api refuses to start with no key, sluice keys create makes the first one, and revoking it locks the API', async () => {
  const refused = await startApi().then(
    () => null,
    (err: { code: number; out: string }) => err,
  );
  assert.ok(refused, 'the API must not start open');
  assert.equal(refused.code, 1);
  assert.match(refused.out, /no way to authenticate callers: create an API key first \(`sluice keys create --name admin --role admin`/);

  const bad = sluice(['keys', 'create', '--name', 'ops', '--role', 'root']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--role: expected one of viewer, operator, author, admin/);

  const made = sluice(['keys', 'create', '--name', 'first admin', '--role', 'admin', '--expires', '30d']);
  assert.equal(made.status, 0, made.stderr);
  const key = made.stdout.trim().split('\n').at(-1)!;
  assert.match(key, /^sk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/, 'the key is the last line of stdout');
  assert.match(made.stderr, /shown only this once/);
  const id = key.split('_')[1]!;

  const { url, child } = await startApi();
  const get = (k: string) => fetch(`${url}/api/v1/pipelines`, { headers: { authorization: `Bearer ${k}` } });
  assert.equal((await get(key)).status, 200);

  const listed = sluice(['keys', 'list']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`^${id}  admin +active +\\*  first admin$`, 'm'));
  assert.ok(!listed.stdout.includes(key.slice('sk_0123456789abcdef_'.length)), 'the list never shows a key');

  assert.equal(sluice(['keys', 'revoke', id]).status, 0);
  await waitFor(async () => (await get(key)).status === 401, 'the revoked key to be refused');
  assert.equal(sluice(['keys', 'revoke', 'ffffffffffffffff']).status, 1);
  child.kill('SIGTERM');
});
