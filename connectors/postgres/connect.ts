// Opens a client for a source or destination, with errors that say which side failed.
import pg from 'pg';
import { parse } from 'pg-connection-string';
import type { Access } from '../../src/kit/index.js';
import { readTypes } from './types.js';

/** The host and port pg will connect to, read as pg reads them (a `?host=` parameter wins over the URL's host). */
function target(connectionString: string): { host: string; port: number } {
  const c = parse(connectionString);
  // A Unix socket directory is this machine's own server.
  const host = !c.host || c.host.startsWith('/') ? 'localhost' : c.host;
  return { host, port: Number(c.port ?? 5432) || 5432 };
}

/** A query sent with the extended protocol, which runs exactly one statement whatever its text holds. */
export function oneStatement(text: string, values: unknown[] = []): pg.QueryConfig {
  const config: pg.QueryConfig & { queryMode: 'extended' } = { text, values, queryMode: 'extended' };
  return config;
}

/**
 * A source's session reads only: every transaction is read-only and no statement runs longer than
 * `timeoutMs`. User SQL reaches the server one statement at a time, so it cannot undo this.
 */
export async function readOnlySession(client: pg.Client, timeoutMs: number): Promise<void> {
  await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  await client.query(`SET statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
}

export async function connect(connectionString: string, nodeId: string, side: 'source' | 'destination', access: Access): Promise<pg.Client> {
  await access.egress(target(connectionString), 'config.connection');
  const client = new pg.Client({ connectionString, application_name: `sluice:${nodeId}`, types: readTypes });
  // A connection lost while no query runs (server restart, admin termination, network cut) is
  // emitted as 'error'; unheard, it would crash the whole worker. The node's next query then fails
  // on the dead client and Temporal retries the attempt; only this node is affected.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot connect to the ${side} database: ${(err as Error).message}`);
  }
  return client;
}
