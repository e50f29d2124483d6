// `npm run test:cluster`: the production-topology tests (test/cluster/) against the real Temporal
// server on PostgreSQL (temporal/cluster/), not the CLI's dev server. Builds the server the first
// time (go install, cached in the user cache), creates and migrates a fresh pair of databases on
// SLUICE_TEST_PG_URL, starts the server on free ports, runs the files, then stops it and drops
// the databases. `npm run test:cluster -- test/cluster/compose.test.ts` runs one file.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dropClusterDatabases, setupClusterDatabases, startCluster, temporalServerHome } from '../temporal/cluster/cluster.js';

const only = process.argv.slice(2);
const files = only.length > 0 ? only : fs.readdirSync(path.join('test', 'cluster')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join('test', 'cluster', f));
const started = Date.now();
const home = temporalServerHome();
const id = crypto.randomBytes(4).toString('hex');
const databases = {
  postgresUrl: process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  database: `sluice_tc_${id}_temporal`,
  visibilityDatabase: `sluice_tc_${id}_visibility`,
};
const dataDir = path.resolve('.sluice', `test-cluster-${id}`);
fs.mkdirSync(dataDir, { recursive: true });
const logFile = path.resolve('.sluice', 'test-cluster-temporal.log');
fs.rmSync(logFile, { force: true });

let code = 1;
try {
  setupClusterDatabases(home, databases);
  const cluster = await startCluster(home, { ...databases, dataDir, port: 0, historyShards: 4, logFile, logLevel: 'warn' });
  console.log(`temporal server (PostgreSQL: ${databases.database}, ${databases.visibilityDatabase}) at ${cluster.address} in ${((Date.now() - started) / 1000).toFixed(1)}s; ${files.length} test files`);
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files], {
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: cluster.address,
          TEMPORAL_NAMESPACE: cluster.namespace,
          SLUICE_TEMPORAL_SERVER_HOME: home,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        },
      });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
  } finally {
    await cluster.stop();
  }
} finally {
  await dropClusterDatabases(databases).catch((err: unknown) => console.error(`could not drop ${databases.database}: ${String(err)}`));
  fs.rmSync(dataDir, { recursive: true, force: true });
}
console.log(`test:cluster took ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(code);
