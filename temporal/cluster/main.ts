// `npm run temporal:cluster`: builds or finds the Temporal server, creates and migrates its
// databases on a PostgreSQL server, starts it in the foreground and registers the namespace with
// Sluice's search attributes. Settings come from the environment (docs/deploy.md lists them);
// Ctrl-C stops the server.
import path from 'node:path';
import { setupClusterDatabases, startCluster, temporalServerHome } from './cluster.js';

const env = process.env;
const postgresUrl = env.TEMPORAL_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dataDir = path.resolve(env.TEMPORAL_CLUSTER_DIR ?? '.sluice/temporal-cluster');
const databases = { postgresUrl, database: env.DBNAME ?? 'temporal', visibilityDatabase: env.VISIBILITY_DBNAME ?? 'temporal_visibility' };

const home = temporalServerHome();
setupClusterDatabases(home, databases);
const cluster = await startCluster(home, {
  ...databases,
  dataDir,
  port: Number(env.FRONTEND_GRPC_PORT ?? 7233),
  bindIp: env.BIND_ON_IP ?? '127.0.0.1',
  historyShards: Number(env.NUM_HISTORY_SHARDS ?? 4),
  namespace: env.TEMPORAL_NAMESPACE ?? 'default',
  retention: env.TEMPORAL_RETENTION ?? '3d',
  ...(env.DYNAMIC_CONFIG_FILE_PATH ? { dynamicConfigFile: env.DYNAMIC_CONFIG_FILE_PATH } : {}),
  ...(env.PROMETHEUS_ENDPOINT ? { metricsAddress: env.PROMETHEUS_ENDPOINT } : {}),
  logFile: path.join(dataDir, 'temporal.log'),
  logLevel: (env.LOG_LEVEL as 'info' | undefined) ?? 'info',
});
console.log(`Temporal server ${home} on ${cluster.address}, namespace ${cluster.namespace}; log ${path.join(dataDir, 'temporal.log')}`);
console.log(`  persistence: ${databases.database}, visibility: ${databases.visibilityDatabase} on ${new URL(postgresUrl).host}`);
console.log(`  Sluice: TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=${cluster.namespace}`);
const stop = () => void cluster.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
cluster.process.once('exit', (code, signal) => {
  console.error(`Temporal server exited with ${signal ?? code}`);
  process.exit(1);
});
