// Brings the metadata schema up to date at start-up with node-pg-migrate. Everything Sluice
// owns, the migrations ledger included, lives in the `sluice` schema so it can share a database.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.js';

export const SCHEMA = 'sluice';
export const MIGRATIONS_TABLE = 'pgmigrations';
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Applies every pending migration on `client`; returns the names applied. Safe to run from many processes at once. */
export async function migrate(client: pg.ClientBase, logger?: Logger): Promise<string[]> {
  const log = (level: 'info' | 'warn' | 'error') => (msg: string) => logger?.[level === 'info' ? 'debug' : level]({ component: 'migrate' }, msg);
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      schema: SCHEMA,
      createSchema: true,
      migrationsSchema: SCHEMA,
      createMigrationsSchema: true,
      migrationsTable: MIGRATIONS_TABLE,
      // Two API processes starting together: the second waits for the first instead of failing.
      advisoryLockMode: 'wait',
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
    });
    return applied.map((m) => m.name);
  } finally {
    // The runner sets search_path on the connection; the pooled connection outlives it.
    await client.query('RESET search_path');
  }
}
