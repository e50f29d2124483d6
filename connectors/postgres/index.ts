// The postgres connector: keyset-paged (optionally incremental) reads and exactly-once table loads.
import { ConfigError, type Connector, type ConnectorContext, sink, source } from '../../src/kit/index.js';
import { connect, oneStatement } from './connect.js';
import { isKeyset, planKeyset, queryBody, sqlError } from './plan.js';
import { read } from './read.js';
import { postgresReadConfig, postgresWriteConfig } from './schema.js';
import { open } from './write.js';

/**
 * Connects and runs `probe`. A source's probe runs in a read-only transaction that is rolled back,
 * under a statement timeout, so even a hostile query text cannot change or hold anything.
 */
async function checkConnection(
  config: { connection: string; connectTimeout: number },
  ctx: ConnectorContext,
  side: 'source' | 'destination',
  probe: string,
  params: unknown[] = [],
): Promise<void> {
  const client = await connect(config.connection, side, ctx, { connectTimeoutMs: config.connectTimeout });
  try {
    if (side === 'destination') {
      await client.query(probe, params);
      return;
    }
    await client.query('BEGIN READ ONLY');
    try {
      await client.query("SET LOCAL statement_timeout = '10s'");
      // The extended protocol runs exactly one statement: a query text smuggling a second one fails.
      await client.query(oneStatement(probe, params));
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A read's query must be one that only reads: the check never hands anything else to EXPLAIN (EXPLAIN ANALYZE executes). */
function readOnlyQuery(body: string): string {
  const text = body.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  if (!/^(select|with|values|table)\b/i.test(text)) throw new ConfigError('config.query: a read runs a query that reads: start it with SELECT, WITH, VALUES or TABLE');
  return body;
}

export const postgres: Connector = {
  name: 'postgres',
  description: 'PostgreSQL (and wire-compatible) databases',
  nodes: [
    source({
      verb: 'read',
      description: 'Reads a table or a query from Postgres in batches (keyset-paged, optionally incremental) into a dataset.',
      config: postgresReadConfig,
      read,
      check: async (config, ctx) => {
        // A zero-row probe (keyset) or EXPLAIN (query) checks the connection, tables and columns without reading.
        if (!isKeyset(config)) {
          // A query the database refuses is config.query's fault, as the read itself reports it.
          return checkConnection(config, ctx, 'source', `EXPLAIN ${readOnlyQuery(queryBody(config))}`, config.params ?? []).catch((err: unknown) => {
            throw sqlError(err, 'config.query');
          });
        }
        const client = await connect(config.connection, 'source', ctx, { connectTimeoutMs: config.connectTimeout });
        try {
          await planKeyset(client, config);
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    }),
    sink({
      verb: 'write',
      description: 'Loads an upstream dataset into a Postgres table (append, replace or upsert), exactly once.',
      config: postgresWriteConfig,
      open,
      check: async (config, ctx) => checkConnection(config, ctx, 'destination', 'SELECT 1'),
    }),
  ],
};
