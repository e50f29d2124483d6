// An embedded PostgreSQL (PGlite behind its wire-protocol socket server) for `sluice dev` when
// no server is configured or reachable: the store talks to it with the same `pg` code path.
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  /** PGlite serves one connection at a time: pass this as the store's pool size. */
  maxConnections: 1;
  stop(): Promise<void>;
}

/** Opens (or creates) a PGlite database in `dataDir` and serves it on 127.0.0.1:`port` (0 = any free port). */
export async function startEmbeddedPostgres(dataDir: string, port = 0): Promise<EmbeddedPostgres> {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 1 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  // getServerConn() reports the port the OS picked when asked for 0.
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres?sslmode=disable`,
    maxConnections: 1,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
