// Opens a client for a source or destination, with errors that say which side failed.
import pg from 'pg';
import { readTypes } from './types.js';

export async function connect(connectionString: string, nodeId: string, side: 'source' | 'destination'): Promise<pg.Client> {
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
