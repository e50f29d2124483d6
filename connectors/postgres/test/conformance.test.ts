// postgres.read and postgres.write through the connector conformance suite (test/conformance), on
// a fresh PostgreSQL database: a table read by keyset (and, as variants, a query through COPY and a
// query with a key), and loads read back with plain SQL. The expected rows are read from the same
// table with ::text casts, so they hold PostgreSQL's own text of numerics and timestamps.
import type { Row } from '../../../src/kit/index.js';
import { conformance } from '../../../test/conformance/index.js';
import { createTestDatabase } from '../../../test/helpers/env.js';
import { postgres } from '../index.js';

const ROWS = 20;
/** Unreachable, and with a password: it must not show in any message. */
const UNREACHABLE = 'postgres://sluice:conformance-Pw-7f3a9c@127.0.0.1:1/nowhere';

conformance(postgres, async () => {
  const db = await createTestDatabase();
  await db.pool.query(`CREATE TABLE src (id int PRIMARY KEY, label text, big bigint, amount numeric(12,2), at timestamptz, ok boolean, meta jsonb)`);
  await db.pool.query(
    `INSERT INTO src SELECT g, CASE WHEN g % 5 = 0 THEN NULL WHEN g % 7 = 0 THEN E'tab\\there, "quoted"\\nand a line' ELSE 'row ' || g END,
       5000000000 + g, g * 1.25, timestamptz '2024-01-01 00:00:00.123456+00' + g * interval '1 hour 1.000001 second', g % 2 = 0,
       CASE WHEN g % 3 = 0 THEN NULL ELSE jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g)) END
     FROM generate_series(1, $1) g`,
    [ROWS],
  );
  const rows = (await db.pool.query<Row>(`SELECT id, label, big, amount::text AS amount, at::text AS at, ok, meta FROM src ORDER BY id`)).rows;
  const url = new URL(db.url);
  const noRole = new URL(db.url);
  noRole.username = 'no_such_role_conformance';
  const connection = { $secret: 'PG_CONFORMANCE_URL' };

  return {
    secrets: { PG_CONFORMANCE_URL: db.url, PG_CONFORMANCE_UNREACHABLE: UNREACHABLE, PG_CONFORMANCE_NO_ROLE: noRole.toString() },
    nodes: {
      read: {
        kind: 'source',
        config: { connection, table: 'src', batchSize: 3 },
        rows,
        variants: {
          'query through COPY': { connection, query: 'SELECT id, label, big, amount, at, ok, meta FROM src ORDER BY id', batchSize: 3 },
          'query with a key': { connection, query: 'SELECT id, label, big, amount, at, ok, meta FROM src', key: ['id'], batchSize: 4 },
        },
        broken: [
          { why: 'an unreachable host', config: { connection: { $secret: 'PG_CONFORMANCE_UNREACHABLE' }, table: 'src' }, names: '127.0.0.1:1' },
          { why: 'an unknown role', config: { connection: { $secret: 'PG_CONFORMANCE_NO_ROLE' }, table: 'src' }, names: 'no_such_role_conformance' },
          { why: 'a missing table', config: { connection, table: 'no_such_table' }, names: 'config.table' },
          { why: 'a missing column in the query', config: { connection, query: 'SELECT nope FROM src' }, names: 'config.query' },
        ],
        invalid: [
          { config: { connection, query: 'SELECT 1', table: 'src' }, path: 'config.table' },
          { config: { connection, table: 'src', columns: ['label'], key: ['id'] }, path: 'config.columns' },
        ],
      },
      write: {
        kind: 'sink',
        config: (dest) => ({ connection, table: dest }),
        async readBack(dest) {
          return (await db.pool.query<Row>(`SELECT * FROM ${dest}`)).rows;
        },
        broken: [
          { why: 'an unreachable host', config: { connection: { $secret: 'PG_CONFORMANCE_UNREACHABLE' }, table: 't' }, names: '127.0.0.1:1' },
          { why: 'a missing database', config: { connection: `postgres://${url.username}@${url.host}/${db.name}_missing`, table: 't' }, names: `${db.name}_missing` },
        ],
        invalid: [{ config: { connection, table: 't', mode: 'upsert' }, path: 'config.key' }],
      },
    },
    close: () => db.drop(),
  };
});
