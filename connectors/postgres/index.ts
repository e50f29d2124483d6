// The postgres connector: keyset-paged (optionally incremental) reads and exactly-once table loads.
import { type Connector, sink, source } from '../../src/kit/index.js';
import { connect } from './connect.js';
import { isKeyset, planKeyset, queryBody, sqlError } from './plan.js';
import { read } from './read.js';
import { postgresReadConfig, postgresWriteConfig } from './schema.js';
import { open } from './write.js';

async function checkConnection(connection: string, nodeId: string, side: 'source' | 'destination', probe: string, params: unknown[] = []): Promise<void> {
  const client = await connect(connection, nodeId, side);
  try {
    await client.query(probe, params);
  } finally {
    await client.end().catch(() => undefined);
  }
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
          return checkConnection(config.connection, ctx.nodeId, 'source', `EXPLAIN ${queryBody(config)}`, config.params ?? []).catch((err: unknown) => {
            throw sqlError(err, 'config.query');
          });
        }
        const client = await connect(config.connection, ctx.nodeId, 'source');
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
      check: async (config, ctx) => checkConnection(config.connection, ctx.nodeId, 'destination', 'SELECT 1'),
    }),
  ],
};
