// GET /runs: the durable run history (sluice.runs), newest first across open and closed runs, in
// keyset pages; it outlives Temporal's retention. Rows the history still has open are checked
// against Temporal on the way out (one visibility query per page): a run terminated or timed out
// from outside never wrote its end, so what Temporal says about it is written back.
import type { Client } from '@temporalio/client';
import type { RunStatus } from '../../dag/vocabulary.js';
import type { RunHistoryStore, RunRecord } from '../../store/types.js';
import { SLUICE_STATUS, WORKFLOW_TYPE } from '../../workflows/messages.js';
import { BadRequestError } from '../errors.js';
import type { RunSummary } from '../schemas.js';
import { runStatus } from './status.js';
import { quote } from './visibility.js';

export interface RunListFilter {
  pipeline?: string | undefined;
  status?: RunStatus | undefined;
  schedule?: string | undefined;
  within?: readonly string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** The cursor of the page after `last`: where the next page starts. */
function cursorOf(last: RunRecord): string {
  return Buffer.from(JSON.stringify([last.startedAt.toISOString(), last.runId])).toString('base64url');
}

function parseCursor(cursor: string): { startedAt: Date; runId: string } {
  try {
    const [at, runId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const startedAt = new Date(String(at));
    if (typeof runId === 'string' && Number.isFinite(startedAt.getTime())) return { startedAt, runId };
  } catch {
    // reported below
  }
  throw new BadRequestError('invalid query', [{ path: 'cursor', message: 'not a cursor this API gave; pass the `next` of the previous page' }]);
}

function summaryOf(r: RunRecord): RunSummary {
  return {
    runId: r.runId,
    pipeline: r.pipeline,
    status: r.status,
    startedAt: r.startedAt.toISOString(),
    closedAt: r.open ? null : (r.endedAt?.toISOString() ?? null),
    scheduleId: r.scheduleId,
    scheduledAt: r.scheduledAt?.toISOString() ?? null,
  };
}

/**
 * The page's rows the history has open, as Temporal has them now (one visibility query): a closed
 * one (terminated or timed out from outside, never having written its end) is written back; an
 * open one shows Temporal's status, which may be a moment ahead of the run's own writes.
 */
async function reconcile(client: Client, store: RunHistoryStore, rows: RunRecord[]): Promise<void> {
  const open = rows.filter((r) => r.open);
  if (open.length === 0) return;
  const query = `WorkflowType = ${quote(WORKFLOW_TYPE)} AND (${open.map((r) => `WorkflowId = ${quote(r.runId)}`).join(' OR ')})`;
  for await (const wf of client.workflow.list({ query, pageSize: open.length })) {
    const row = open.find((r) => r.runId === wf.workflowId);
    if (!row) continue;
    row.status = runStatus(wf.status.name, wf.typedSearchAttributes.get(SLUICE_STATUS));
    if (wf.status.name === 'RUNNING' || wf.status.name === 'PAUSED') continue;
    row.open = false;
    row.endedAt = wf.closeTime ?? row.endedAt;
    await store.closeRunRecord(row.runId, row.status, row.endedAt, null);
  }
}

export async function listRuns(client: Client, store: RunHistoryStore, filter: RunListFilter): Promise<{ runs: RunSummary[]; next: string | null }> {
  if (filter.within?.length === 0) return { runs: [], next: null };
  if (filter.from && filter.to && filter.from >= filter.to) throw new BadRequestError('invalid query', [{ path: 'from', message: 'must be before to' }]);
  const rows = await store.listRunRecords({
    pipeline: filter.pipeline,
    within: filter.within,
    schedule: filter.schedule,
    status: filter.status,
    from: filter.from,
    to: filter.to,
    after: filter.cursor === undefined ? undefined : parseCursor(filter.cursor),
    // One more than asked: whether there is a next page.
    limit: filter.limit + 1,
  });
  const page = rows.slice(0, filter.limit);
  await reconcile(client, store, page);
  return {
    // A row whose status Temporal just corrected may no longer match the filter.
    runs: page.filter((r) => filter.status === undefined || r.status === filter.status).map(summaryOf),
    next: rows.length > filter.limit ? cursorOf(page[page.length - 1]!) : null,
  };
}
