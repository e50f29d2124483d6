// The postgres connector: query reads and exactly-once table loads.
import { sink, source, type Connector } from '../../src/activities/connector.js';
import { connect } from './connect.js';
import { read } from './read.js';
import { postgresReadConfig, postgresWriteConfig } from './schema.js';
import { open } from './write.js';

async function checkConnection(connection: string, nodeId: string, side: 'source' | 'destination', probe: string): Promise<void> {
  const client = await connect(connection, nodeId, side);
  try {
    await client.query(probe);
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
      description: 'Runs a query on Postgres and streams its rows into a dataset.',
      config: postgresReadConfig,
      read,
      // Preparing the query checks the connection, the tables and the columns without running it.
      check: async (config, ctx) => checkConnection(config.connection, ctx.nodeId, 'source', `EXPLAIN ${config.query.trim().replace(/;+\s*$/, '')}`),
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
