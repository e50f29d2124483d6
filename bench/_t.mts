import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
const url = 'postgres://postgres@127.0.0.1:5432/postgres';
const c = new pg.Client({ connectionString: url }); await c.connect();
await c.query(`DROP TABLE IF EXISTS t_src, t_dst, t_led; CREATE TABLE t_src AS SELECT g::bigint id, 'customer ' || g AS name, ((g % 100000) / 100.0)::numeric(12,2) amount, timestamptz '2024-01-01' + g * interval '1 second' AS created_at, jsonb_build_object('tier', g % 5, 'tags', jsonb_build_array('a','b')) attrs FROM generate_series(1,1000000) g; CREATE TABLE t_led (b int primary key)`);
// dump into buffers of 10k rows
let t = performance.now();
const chunks: Buffer[] = [];
for await (const ch of c.query(copyTo('COPY t_src TO STDOUT'))) chunks.push(ch as Buffer);
const all = Buffer.concat(chunks);
console.log('copy to', (performance.now() - t).toFixed(0), 'ms', all.length);
const parts: Buffer[] = []; let s = 0, n = 0;
for (let i = 0; i < all.length; i++) if (all[i] === 10 && ++n % 10000 === 0) { parts.push(all.subarray(s, i + 1)); s = i + 1; }
if (s < all.length) parts.push(all.subarray(s));
for (const mode of ['one', 'tx100', 'tx100-sync-off', 'tx10']) {
  await c.query('DROP TABLE IF EXISTS t_dst; CREATE TABLE t_dst (LIKE t_src); TRUNCATE t_led; CHECKPOINT');
  t = performance.now();
  if (mode === 'one') await pipeline(Readable.from(parts), c.query(copyFrom('COPY t_dst FROM STDIN')));
  else {
    const per = mode === 'tx10' ? 10 : 1;
    for (let i = 0; i < parts.length; i += per) {
      await c.query('BEGIN');
      if (mode.includes('sync-off')) await c.query('SET LOCAL synchronous_commit = off');
      await c.query('INSERT INTO t_led VALUES ($1)', [i]);
      await c.query('SAVEPOINT x');
      await pipeline(Readable.from(parts.slice(i, i + per)), c.query(copyFrom('COPY t_dst FROM STDIN')));
      await c.query('RELEASE SAVEPOINT x');
      await c.query('COMMIT');
    }
  }
  console.log(mode, (performance.now() - t).toFixed(0), 'ms');
}
await c.query('DROP TABLE IF EXISTS t_src, t_dst, t_led');
await c.end();
