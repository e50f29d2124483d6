// The whole test suite: starts one Temporal dev server (the real one, headless) for all test
// files (test/, and each connector's own connectors/<name>/test/), then runs them with node's test runner. PostgreSQL is the one already running locally
// (SLUICE_TEST_PG_URL, default postgres://127.0.0.1:5432/postgres).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDevServer } from '../temporal/dev-server.js';

// test/cluster/ needs the PostgreSQL-backed Temporal server: `npm run test:cluster` runs it.
const OWN_RUNNER = new Set([path.join('test', 'cluster')]);

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? (OWN_RUNNER.has(path.join(dir, e.name)) ? [] : testFiles(path.join(dir, e.name))) : e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []))
    .sort();
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : [...testFiles('test'), ...testFiles('connectors')];
fs.mkdirSync('.sluice', { recursive: true });
// Browser tests drive Debian's Chromium; install it first (apt-get, as root) so no test times out on it.
if (files.some((f) => f.endsWith('.browser.test.ts'))) execFileSync('bash', [path.join('scripts', 'ensure-chromium.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
const server = await startDevServer({ logFile: path.join('.sluice', 'test-temporal.log') });
console.log(`temporal dev server at ${server.address}; ${files.length} test files`);

const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
    { stdio: 'inherit', env: { ...process.env, TEMPORAL_ADDRESS: server.address, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } },
  );
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
await server.stop();
process.exit(code);
