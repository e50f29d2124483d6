// Real services for integration tests: the Temporal dev server started by `npm test` (or one of
// our own when a file is run alone) and a fresh PostgreSQL database per test file.
import crypto from 'node:crypto';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { pgConnectionOptions } from '../../src/kit/postgres.js';
import type { DataConverter } from '@temporalio/common';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';

/** Admin URL of the PostgreSQL server the tests create their databases on. */
export const PG_ADMIN_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}

export interface TemporalTestEnv {
  address: string;
  namespace: string;
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

/**
 * Connects to the suite's Temporal server (TEMPORAL_ADDRESS), or starts one for this file. With a
 * `dataConverter` (payload encryption) the client encodes and decodes through it.
 */
export async function temporalEnv(options: { dataConverter?: DataConverter } = {}): Promise<TemporalTestEnv> {
  let server: DevServer | null = null;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    server = await startDevServer();
    address = server.address;
  }
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect({ address });
  await ensureSearchAttributes(connection, namespace);
  const client = new Client({ connection, namespace, ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}) });
  return {
    address,
    namespace,
    connection,
    client,
    async close() {
      await connection.close();
      if (server) await server.stop();
    },
  };
}

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** Creates an empty database for one test file; drop() removes it. */
export async function createTestDatabase(prefix = 'sluice_test'): Promise<TestDatabase> {
  const name = `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, ...pgConnectionOptions() });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4, ...pgConnectionOptions() });
  // A test that cuts or kills connections must not take the test process down with them.
  pool.on('error', () => undefined);
  return {
    url: url.toString(),
    name,
    pool,
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: PG_ADMIN_URL, ...pgConnectionOptions() });
      a.on('error', () => undefined);
      await a.connect();
      // Node activities of a run the test left behind (a cancelled read, say) may still be closing
      // their connections: give them a moment, so FORCE terminates only true stragglers.
      for (let i = 0; i < 50; i++) {
        const open = await a.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (open.rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Creates `slow_every(id, every, seconds)`, a `where` condition that is always true but sleeps
 * `seconds` on every `every`-th id: a read through it takes that much longer per `every` rows,
 * whether it runs one statement per batch or streams the whole read through COPY.
 */
export async function createSlowFilter(db: TestDatabase): Promise<void> {
  await db.pool.query(`CREATE FUNCTION slow_every(id bigint, every int, seconds float8) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN IF id % every = 0 THEN PERFORM pg_sleep(seconds); END IF; RETURN true; END $$`);
}
