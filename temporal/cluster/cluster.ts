// A Temporal cluster on PostgreSQL for Sluice: builds (or finds) the real server and its schema
// tool, creates and migrates its two databases, starts it with temporal/cluster/config/sluice.yaml
// and registers the namespace with Sluice's search attributes. Used by `npm run temporal:cluster`
// and `npm run test:cluster`; docs/deploy.md says how the same parts run in production.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { ensureSearchAttributes } from '../search-attributes.js';
import { parseDuration } from '../../src/dag/duration.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The directory of a server build (bin/temporal-server, bin/temporal-sql-tool, schema/), built by install.sh when missing. */
export function temporalServerHome(): string {
  const out = execFileSync('bash', [path.join(here, 'install.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return out.toString().trim();
}

export interface ClusterDatabases {
  /** Any database on the PostgreSQL server, as an admin may connect to it: postgres://user:pw@host:port/postgres. */
  postgresUrl: string;
  /** Default `temporal`. */
  database?: string;
  /** Default `temporal_visibility`. */
  visibilityDatabase?: string;
}

function pgParts(url: string): { host: string; port: string; user: string; password: string } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: u.port || '5432', user: decodeURIComponent(u.username || 'postgres'), password: decodeURIComponent(u.password) };
}

/**
 * Creates the persistence and visibility databases when missing and brings both to the schema
 * version this server build ships (update-schema applies only the versions not yet applied, so
 * this is safe on every start and after an upgrade of the build).
 */
export function setupClusterDatabases(home: string, dbs: ClusterDatabases): void {
  const { host, port, user, password } = pgParts(dbs.postgresUrl);
  const tool = path.join(home, 'bin', 'temporal-sql-tool');
  const schemas = path.join(home, 'schema', 'postgresql', 'v12');
  const targets = [
    { name: dbs.database ?? 'temporal', versioned: path.join(schemas, 'temporal', 'versioned') },
    { name: dbs.visibilityDatabase ?? 'temporal_visibility', versioned: path.join(schemas, 'visibility', 'versioned') },
  ];
  for (const t of targets) {
    const base = ['--plugin', 'postgres12', '--ep', host, '--port', port, '--user', user, '--db', t.name];
    // The password goes through the environment, not argv (visible to every user in ps).
    const run = (args: string[]) =>
      execFileSync(tool, [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SQL_PASSWORD: password } });
    try {
      run(['create-database']);
    } catch (err) {
      const text = String((err as { stderr?: Buffer }).stderr ?? err);
      if (!/already exists/i.test(text)) throw new Error(`temporal-sql-tool create-database ${t.name} failed: ${text.slice(-2000)}`);
    }
    try {
      run(['setup-schema', '-v', '0.0']);
      run(['update-schema', '-d', t.versioned]);
    } catch (err) {
      throw new Error(`temporal-sql-tool could not migrate ${t.name}: ${String((err as { stderr?: Buffer }).stderr ?? err).slice(-2000)}`);
    }
  }
}

/** Drops both databases (tests; an operator never wants this). */
export async function dropClusterDatabases(dbs: ClusterDatabases): Promise<void> {
  const admin = new pg.Client({ connectionString: dbs.postgresUrl });
  await admin.connect();
  try {
    for (const name of [dbs.database ?? 'temporal', dbs.visibilityDatabase ?? 'temporal_visibility']) {
      await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

export interface ClusterOptions extends ClusterDatabases {
  /** Where the rendered config lives (`<dir>/config/sluice.yaml`); the server's --root. */
  dataDir: string;
  /** Frontend gRPC port (7233); `0` picks free ports for every service (tests). */
  port?: number;
  /** Interface every service binds (127.0.0.1). */
  bindIp?: string;
  /** Fixed once the databases exist (4). */
  historyShards?: number;
  namespace?: string;
  /** How long closed runs stay in Temporal (3d); Sluice's own run history outlives it in the metadata database. */
  retention?: string;
  /** Dynamic config file (temporal/cluster/config/dynamicconfig.yaml). */
  dynamicConfigFile?: string;
  /** Server log file; omitted = discarded. */
  logFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Prometheus metrics at host:port; omitted = none. */
  metricsAddress?: string;
}

export interface RunningCluster {
  /** Frontend host:port. */
  address: string;
  namespace: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

const GRPC_ALREADY_EXISTS = 6;

/**
 * A free TCP port on `host` below 32768: the server stores each service's membership port in a
 * smallint column (cluster_membership.rpc_port), so the kernel's ephemeral ports (32768 and up on
 * Linux) make it exit at start-up.
 */
async function freeLowPort(host: string, taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port below 32768 on ${host}`);
}

/** Starts `temporal-server ... start` with the Sluice config and resolves once the namespace takes Sluice's runs. */
export async function startCluster(home: string, options: ClusterOptions): Promise<RunningCluster> {
  const { host, port: dbPort, user, password } = pgParts(options.postgresUrl);
  const bindIp = options.bindIp ?? '127.0.0.1';
  const free = options.port === 0;
  const taken = new Set<number>();
  const probeHost = bindIp === '0.0.0.0' ? '127.0.0.1' : bindIp;
  const port = async (fixed: number) => (free ? await freeLowPort(probeHost, taken) : fixed);
  const frontend = await port(options.port ?? 7233);
  const namespace = options.namespace ?? 'default';

  const configDir = path.join(options.dataDir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  fs.copyFileSync(path.join(here, 'config', 'sluice.yaml'), path.join(configDir, 'sluice.yaml'));
  const env: Record<string, string> = {
    ...process.env,
    LOG_LEVEL: options.logLevel ?? 'warn',
    NUM_HISTORY_SHARDS: String(options.historyShards ?? 4),
    POSTGRES_SEEDS: host,
    DB_PORT: dbPort,
    POSTGRES_USER: user,
    POSTGRES_PWD: password,
    DBNAME: options.database ?? 'temporal',
    VISIBILITY_DBNAME: options.visibilityDatabase ?? 'temporal_visibility',
    BIND_ON_IP: bindIp,
    TEMPORAL_BROADCAST_ADDRESS: bindIp === '0.0.0.0' ? '127.0.0.1' : bindIp,
    PUBLIC_FRONTEND_ADDRESS: bindIp === '0.0.0.0' ? '127.0.0.1' : bindIp,
    FRONTEND_GRPC_PORT: String(frontend),
    FRONTEND_HTTP_PORT: String(await port(7243)),
    FRONTEND_MEMBERSHIP_PORT: String(await port(6933)),
    HISTORY_GRPC_PORT: String(await port(7234)),
    HISTORY_MEMBERSHIP_PORT: String(await port(6934)),
    MATCHING_GRPC_PORT: String(await port(7235)),
    MATCHING_MEMBERSHIP_PORT: String(await port(6935)),
    WORKER_GRPC_PORT: String(await port(7239)),
    WORKER_MEMBERSHIP_PORT: String(await port(6939)),
    DYNAMIC_CONFIG_FILE_PATH: path.resolve(options.dynamicConfigFile ?? path.join(here, 'config', 'dynamicconfig.yaml')),
  };
  if (options.metricsAddress) env.PROMETHEUS_ENDPOINT = options.metricsAddress;
  else delete env.PROMETHEUS_ENDPOINT;

  const args = ['--root', options.dataDir, '--config', 'config', '--env', 'sluice', '--allow-no-auth', 'start'];
  const out = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(path.join(home, 'bin', 'temporal-server'), args, { stdio: ['ignore', out, out], env });
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const address = `${bindIp === '0.0.0.0' ? '127.0.0.1' : bindIp}:${frontend}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });

  const deadline = Date.now() + 120_000;
  const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      if (exited) throw new Error(`Temporal server ${exited} while waiting for ${what}${options.logFile ? ` (log: ${options.logFile})` : ''}`);
      try {
        return await fn();
      } catch (err) {
        if (Date.now() > deadline) {
          await stop();
          throw new Error(`Temporal server at ${address}: no ${what} within 120s: ${String(err)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  try {
    const connection = await retry('frontend', async () => {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return conn;
      } catch (err) {
        await conn.close();
        throw err;
      }
    });
    try {
      const retention = msToTs(parseDuration(options.retention ?? '3d'));
      await retry(`namespace ${namespace}`, async () => {
        try {
          await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention });
        } catch (err) {
          if (!(isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS)) throw err;
        }
        await connection.workflowService.describeNamespace({ namespace });
      });
      // The namespace cache of every service refreshes every 2 s; registering may meet a stale one.
      await retry('Sluice search attributes', () => ensureSearchAttributes(connection, namespace));
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, namespace, process: child, stop };
}
