// postgres.write: commits each batch in one destination transaction together with a ledger
// row keyed by (run, node, batch), so a retried, resumed or concurrent execution skips what is
// committed and never duplicates a row. Rows the table refuses (constraint or data errors) are
// isolated with savepoints and handed back as rejected; the rest of the batch still commits.
// Replace mode loads into a shadow table and swaps it in at the end (replace.ts).
import pg from 'pg';
import type { BadRecord, SinkContext, SinkWriter } from '../../src/activities/connector.js';
import { ConfigError } from '../../src/activities/errors.js';
import type { Row } from '../../src/activities/staging.js';
import type { PostgresWriteConfig } from './schema.js';
import { connect } from './connect.js';
import { claim, ensureLedger } from './ledger.js';
import { isRowError, loadBulk, loadRowByRow, type LoadTarget } from './load.js';
import { isSwapped, prepareShadow, shadowTable, swapIn } from './replace.js';
import { createFromSchema, tableColumns } from './table.js';

function explain(err: unknown, config: PostgresWriteConfig): Error {
  const e = err as Error & { code?: string };
  if (e.code === '42P10') return new ConfigError(`config.key: ${config.table} has no unique index or primary key on (${config.key?.join(', ')}), which upsert needs`);
  if (e.code && e.code.startsWith('42')) return new ConfigError(`loading into ${config.table}: ${e.message}`);
  return e;
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
  const client = await connect(config.connection, ctx.nodeId, 'destination');
  let target: LoadTarget | null;
  try {
    target = await prepareTarget(client, config, ctx);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }

  /** Runs `load` in a transaction that first claims batch `index` in the ledger; false if already committed. */
  async function inClaimedTransaction(index: number, rows: number, load: () => Promise<void>): Promise<boolean> {
    await client.query('BEGIN');
    try {
      if (!(await claim(client, ctx.runId, ctx.nodeId, index, rows))) {
        await client.query('ROLLBACK');
        return false;
      }
      await load();
      await client.query('COMMIT');
      return true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw explain(err, config);
    }
  }

  return {
    async write(index, rows) {
      // Replace mode already swapped: every batch was committed before the swap.
      if (target === null) return { skipped: true };
      const into = target;
      let rejected: BadRecord[] = [];
      const committed = await inClaimedTransaction(index, rows.length, async () => {
        if (rows.length === 0) return;
        await client.query('SAVEPOINT sluice_bulk');
        try {
          await loadBulk(client, into, rows as Row[]);
          await client.query('RELEASE SAVEPOINT sluice_bulk');
        } catch (err) {
          if (!isRowError(err)) throw err;
          await client.query('ROLLBACK TO SAVEPOINT sluice_bulk');
          rejected = await loadRowByRow(client, into, rows, index);
        }
      });
      return committed ? { skipped: false, rejected } : { skipped: true };
    },
    async finish(summary) {
      if (config.mode === 'replace' && target !== null) {
        const { swapped } = await swapIn(client, config, target.table, ctx.runId, ctx.nodeId, summary.rows);
        ctx.log.info({ table: config.table, swapped }, swapped ? 'replaced the table in one transaction' : 'the table was already swapped in');
      }
      return { table: config.table };
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}
