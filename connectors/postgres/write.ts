// postgres.write: commits each batch in one destination transaction together with a ledger
// row keyed by (run, node, batch), so a retried, resumed or concurrent execution skips what is
// committed and never duplicates a row. Rows the table refuses (constraint or data errors) are
// isolated with savepoints and handed back as rejected; the rest of the batch still commits.
// Replace mode loads into a shadow table and swaps it in at the end (replace.ts).
import pg from 'pg';
import { type BadRecord, ConfigError, type Row, type SinkContext, type SinkWriter } from '../../src/kit/index.js';
import type { PostgresWriteConfig } from './schema.js';
import { connect, connectionLost } from './connect.js';
import { claim, ensureLedger } from './ledger.js';
import { copyText, isRowError, loadBulk, loadRowByRow, upsertText, type LoadTarget } from './load.js';
import { isSwapped, prepareShadow, shadowTable, swapIn } from './replace.js';
import { createFromSchema, tableColumns } from './table.js';

function explain(err: unknown, config: PostgresWriteConfig): Error {
  const e = err as Error & { code?: string };
  if (e.code === '42P10') return new ConfigError(`config.key: ${config.table} has no unique index or primary key on (${config.key?.join(', ')}), which upsert needs`);
  if (e.code && e.code.startsWith('42')) return new ConfigError(`loading into ${config.table}: ${e.message}`);
  return connectionLost(e, 'destination') as Error;
}

/** The table batches go into, created when missing; null when replace mode already swapped it in (nothing left to load). */
async function prepareTarget(client: pg.Client, config: PostgresWriteConfig, ctx: SinkContext): Promise<LoadTarget | null> {
  await ensureLedger(client);
  let table = config.table;
  let existing: Set<string>;
  if (config.mode === 'replace') {
    if (await isSwapped(client, ctx.runId, ctx.nodeId)) return null;
    table = shadowTable(config.table, ctx.runId, ctx.nodeId);
    existing = await prepareShadow(client, config, table, ctx.schema);
  } else {
    existing = await tableColumns(client, table);
    if (existing.size === 0) {
      await createFromSchema(client, table, config.table, ctx.schema, config.mode === 'upsert' ? config.key : undefined);
      existing = new Set(ctx.schema.map((c) => c.name));
    }
  }
  const columns = ctx.schema.map((c) => c.name);
  const missing = columns.filter((c) => !existing.has(c));
  if (missing.length > 0) throw new ConfigError(`config.table: ${config.table} has no column(s) ${missing.join(', ')} that the input dataset carries`);
  const badKey = config.mode === 'upsert' ? (config.key ?? []).filter((k) => !columns.includes(k)) : [];
  if (badKey.length > 0) throw new ConfigError(`config.key: the input dataset has no field(s) ${badKey.join(', ')}`);
  return { config, table, columns };
}

export async function open(config: PostgresWriteConfig, ctx: SinkContext): Promise<SinkWriter> {
  const timeouts = { connectTimeoutMs: config.connectTimeout, statementTimeoutMs: config.statementTimeout };
  const client = await connect(config.connection, 'destination', ctx, timeouts);
  let target: LoadTarget | null;
  try {
    target = await prepareTarget(client, config, ctx);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  // Connections for loads side by side (writeCopy): the first one, plus one more on demand.
  const idle: pg.Client[] = [client];
  const opened: pg.Client[] = [client];
  async function withClient<T>(use: (c: pg.Client) => Promise<T>): Promise<T> {
    let c = idle.pop();
    if (c === undefined) {
      c = await connect(config.connection, 'destination', ctx, timeouts);
      opened.push(c);
    }
    try {
      return await use(c);
    } finally {
      idle.push(c);
    }
  }

  /**
   * Runs `load` in one transaction that first claims `batches` in the ledger; `load` gets the
   * ones no execution committed before (possibly none, and then nothing is loaded).
   */
  async function inClaimedTransaction<B extends { index: number; rows: number }>(client: pg.Client, batches: readonly B[], load: (claimed: B[]) => Promise<void>): Promise<B[]> {
    try {
      // BEGIN is where a connection cut between two batches shows: it is explained like the rest.
      await client.query('BEGIN');
      const fresh = await claim(client, ctx.runId, ctx.nodeId, batches);
      const claimed = batches.filter((b) => fresh.has(b.index));
      if (claimed.length === 0) {
        await client.query('ROLLBACK');
        return [];
      }
      await load(claimed);
      await client.query('COMMIT');
      return claimed;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw explain(err, config);
    }
  }

  /**
   * Commits `batches` in one transaction, each exactly once: `bulk` loads the claimed ones (COPY,
   * or INSERT ... ON CONFLICT for upsert) under a savepoint; when the table refuses a row, they
   * are loaded row by row instead and the refused rows are returned.
   */
  async function commit<B extends { index: number; rows: number; decode(): readonly Row[] }>(client: pg.Client, batches: readonly B[], bulk: (into: LoadTarget, claimed: B[]) => Promise<void>) {
    // Replace mode already swapped: every batch was committed before the swap.
    if (target === null) return { skipped: batches.length, rejected: [] };
    const into = target;
    const rejected: BadRecord[] = [];
    const committed = await inClaimedTransaction(client, batches, async (claimed) => {
      if (claimed.every((b) => b.rows === 0)) return;
      await client.query('SAVEPOINT sluice_bulk');
      try {
        await bulk(into, claimed);
        await client.query('RELEASE SAVEPOINT sluice_bulk');
      } catch (err) {
        if (!isRowError(err)) throw err;
        await client.query('ROLLBACK TO SAVEPOINT sluice_bulk');
        for (const b of claimed) rejected.push(...(await loadRowByRow(client, into, b.decode(), b.index)));
      }
    });
    return { skipped: batches.length - committed.length, rejected };
  }

  return {
    async write(index, rows) {
      const { skipped, rejected } = await commit(client, [{ index, rows: rows.length, decode: () => rows }], (into) => loadBulk(client, into, rows));
      return skipped > 0 ? { skipped: true } : { skipped: false, rejected };
    },
    // COPY text goes into the table as it is, several parts per transaction (one commit, and so
    // one WAL flush, per group), two groups at once on two connections (PostgreSQL parses and
    // inserts each COPY on one core). Upsert goes through a temporary table, one group at a
    // time (two could wait on each other's keys).
    copyConcurrency: config.mode === 'upsert' ? 1 : 2,
    writeCopy: (parts) =>
      withClient((c) => commit(c, parts, (into, claimed) => (config.mode === 'upsert' ? upsertText : copyText)(c, into, claimed.map((p) => p.data)))),
    async finish(summary) {
      if (config.mode === 'replace' && target !== null) {
        const { swapped } = await swapIn(client, config, target.table, ctx.runId, ctx.nodeId, summary.rows);
        ctx.log.info({ table: config.table, swapped }, swapped ? 'replaced the table in one transaction' : 'the table was already swapped in');
      }
      return { table: config.table };
    },
    async close() {
      await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
    },
  };
}
