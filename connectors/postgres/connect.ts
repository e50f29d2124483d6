// Opens a client for a source or destination, with errors that say which side failed.
import pg from 'pg';
import { readTypes } from './types.js';

export async function connect(connectionString: string, nodeId: string, side: 'source' | 'destination'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, application_name: `sluice:${nodeId}`, types: readTypes });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot connect to the ${side} database: ${(err as Error).message}`);
  }
  return client;
}
