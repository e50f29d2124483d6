// Opens a client for a source or destination, with errors that say which side failed, the kit's
// connect timeout and TCP keepalive, and a way out when the engine gives up on a stalled attempt.
import net from 'node:net';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { pgConnectionOptions, type ConnectorContext, type PgTimeouts } from '../../src/kit/index.js';
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

/** Socket errors of a connection that is gone (reset, timed out, unreachable). */
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * `err` as an error that says the connection to the `side` database was lost, when it was (the
 * attempt is retried: the next one connects again); any other error as it is.
 */
export function connectionLost(err: unknown, side: 'source' | 'destination'): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as Error & { code?: string }).code;
  // SQLSTATE class 08 (connection exception) and 57P01-57P03 (the server terminated the session or is shutting down) are losses too.
  const lost =
    (code !== undefined && (LOST_CODES.has(code) || /^(08...|57P0[123])$/.test(code))) ||
    /^Connection terminated|^Client has encountered a connection error|^Connection is closed/.test(err.message);
  return lost ? new Error(`lost the connection to the ${side} database: ${err.message}`) : err;
}

/**
 * Asks the server to cancel whatever `client`'s backend is running (the protocol's CancelRequest,
 * sent on a connection of its own), so a statement the engine gave up on stops holding locks and
 * a backend. Best effort: it never throws and gives up after a few seconds.
 */
function cancelBackend(to: { host: string; port: number }, client: pg.Client): void {
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
  if (processID === null || secretKey === null) return;
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(80877102, 4);
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  const socket = net.connect(to.port, to.host, () => socket.end(request));
  socket.setTimeout(5_000, () => socket.destroy());
  socket.on('error', () => undefined);
}

export async function connect(connectionString: string, side: 'source' | 'destination', ctx: Pick<ConnectorContext, 'nodeId' | 'access' | 'abandon'>, timeouts: PgTimeouts = {}): Promise<pg.Client> {
  const to = target(connectionString);
  await ctx.access.egress(to, 'config.connection');
  const client = new pg.Client({ connectionString, application_name: `sluice:${ctx.nodeId}`, types: readTypes, ...pgConnectionOptions(timeouts) });
  // A connection lost while no query runs (server restart, admin termination, network cut) is
  // emitted as 'error'; unheard, it would crash the whole worker. The node's next query then fails
  // on the dead client and Temporal retries the attempt; only this node is affected.
  client.on('error', () => undefined);
  // The engine gave up on this attempt (it stalled): cancel the server's statement and drop the
  // socket, so whatever awaits this client fails now and its cleanup runs.
  const abandon = () => {
    cancelBackend(to, client);
    client.connection.stream.destroy();
  };
  if (ctx.abandon?.aborted) throw new Error(`the attempt was abandoned before the ${side} database was reached`);
  ctx.abandon?.addEventListener('abort', abandon, { once: true });
  client.once('end', () => ctx.abandon?.removeEventListener('abort', abandon));
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot connect to the ${side} database: ${(err as Error).message}`);
  }
  return client;
}
