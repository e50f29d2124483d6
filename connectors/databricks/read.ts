// databricks.read: runs a query on a SQL warehouse through the Statement Execution API and stages
// its result chunk by chunk. The cursor is { statementId, nextChunk, rowOffset }: a resumed read
// asks for the next chunk of the same statement. When that statement is gone (its results expired,
// or a pause cancelled it while it ran) the query is submitted again and the rows already staged
// (rowOffset) are skipped, which is exact only for a deterministic query (ORDER BY a unique key).
import { type BadRecord, ConfigError, type Row, type SourceBatch, type SourceContext } from '../../src/kit/index.js';
import { StopRequested } from '../../src/kit/http/backoff.js';
import { TransientHttpError } from '../../src/kit/http/client.js';
import { isRunning, StatementApi, type ResultData, type Statement } from './api.js';
import { columnOf, convertRow, type Column } from './types.js';
import type { DatabricksReadConfig } from './schema.js';

export interface DatabricksCursor {
  statementId: string | null;
  /** Next chunk of that statement to stage; null once the last one is staged. */
  nextChunk: number | null;
  /** Rows of the result staged so far. */
  rowOffset: number;
}

function restoreCursor(saved: unknown): DatabricksCursor {
  const c = saved as Partial<DatabricksCursor> | undefined;
  if (!c || typeof c !== 'object' || typeof c.rowOffset !== 'number' || c.nextChunk === undefined) return { statementId: null, nextChunk: 0, rowOffset: 0 };
  return { statementId: typeof c.statementId === 'string' ? c.statementId : null, nextChunk: c.nextChunk, rowOffset: c.rowOffset };
}

function columnsOf(s: Statement): Column[] {
  const infos = [...(s.manifest?.schema?.columns ?? [])].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  const columns = infos.map(columnOf);
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) throw new ConfigError(`config.query: the result has two columns named "${c.name}"; give them distinct aliases`);
    names.add(c.name);
  }
  return columns;
}

/** The chunk holding row `offset` of a re-submitted statement (0 when the manifest lists no chunks). */
function chunkAt(s: Statement, offset: number): number {
  const chunks = s.manifest?.chunks ?? [];
  const hit = chunks.find((c) => c.row_offset !== undefined && c.row_count !== undefined && c.row_offset + c.row_count > offset);
  return hit?.chunk_index ?? (chunks.length > 0 && offset > 0 ? chunks[chunks.length - 1]!.chunk_index : 0);
}

function convertChunk(data: ResultData, first: number, skipBelow: number, columns: readonly Column[], index: number): { rows: Row[]; bad: BadRecord[] } {
  const rows: Row[] = [];
  const bad: BadRecord[] = [];
  (data.data_array ?? []).forEach((raw, j) => {
    if (first + j < skipBelow) return;
    const out = convertRow(raw, columns);
    if ('row' in out) rows.push(out.row);
    else bad.push({ reason: out.reason, position: `chunk ${index} row ${first + j + 1}`, record: raw });
  });
  return { rows, bad };
}

export async function* read(config: DatabricksReadConfig, ctx: SourceContext): AsyncIterable<SourceBatch> {
  let cursor = restoreCursor(ctx.cursor);
  if (cursor.nextChunk === null) return;
  const api = new StatementApi(config, ctx);
  let statement = cursor.statementId ? await api.find(cursor.statementId) : null;
  const reused = statement !== null;
  if (!reused && cursor.rowOffset > 0) ctx.log.info({ statementId: cursor.statementId, skipRows: cursor.rowOffset }, 'Databricks statement is gone; submitting the query again');
  /** A statement this read started or found running, to cancel if the read ends before it does. */
  let live: string | null = null;
  try {
    statement ??= await api.submit();
    if (isRunning(statement)) live = statement.statement_id;
    const id = statement.statement_id;
    cursor = { ...cursor, statementId: id, ...(reused ? {} : { nextChunk: 0 }) };
    statement = await api.settle(statement);
    live = null;
    const columns = columnsOf(statement);
    const schema = columns.map(({ name, type }) => ({ name, type }));
    if (statement.manifest?.truncated) ctx.log.warn({ statementId: id }, 'Databricks truncated the result');

    let index: number | null = reused ? cursor.nextChunk : chunkAt(statement, cursor.rowOffset);
    let offset = cursor.rowOffset;
    const total = statement.manifest?.total_chunk_count;
    if (total === 0 || (index !== null && total !== undefined && index >= total)) {
      // An empty result still has columns: hand them on so a sink can create its table.
      yield { rows: [], cursor: { ...cursor, nextChunk: null }, schema };
      return;
    }
    while (index !== null) {
      const inline = statement.result;
      const data = inline && (inline.chunk_index ?? 0) === index ? inline : await api.chunk(id, index);
      // Gone between chunks: the activity retry resumes from the checkpoint and re-submits the query.
      if (data === null) throw new TransientHttpError(`Databricks statement ${id}: the results of chunk ${index} are no longer available`);
      const first = data.row_offset ?? offset;
      const { rows, bad } = convertChunk(data, first, cursor.rowOffset, columns, index);
      offset = first + (data.data_array?.length ?? data.row_count ?? 0);
      const next = data.next_chunk_index ?? (total !== undefined && index + 1 < total ? index + 1 : null);
      cursor = { statementId: id, nextChunk: next, rowOffset: Math.max(cursor.rowOffset, offset) };
      yield { rows, bad, cursor, schema };
      index = next;
    }
  } catch (err) {
    if (!(err instanceof StopRequested)) throw err;
    // Paused or cancelled while the query ran: stop it on the warehouse, and keep the position.
    if (live) await api.cancel(live);
    live = null;
    yield { rows: [], cursor };
    throw new Error('databricks.read was resumed after it was asked to stop');
  } finally {
    if (live) await api.cancel(live);
  }
}
