// GET /runs/:runId/nodes: node detail a page at a time, for runs too big for one view. The
// workflow answers from its own state (the `nodes` query, even after it closed, through any
// worker); without a worker, or for a run of older workflow code, the page is cut from the view
// built from history.
import type { Client } from '@temporalio/client';
import { nodesQuery, type NodesPage, type NodesRequest } from '../../workflows/messages.js';
import type { NodeView } from '../schemas.js';
import type { DescribedRun } from './describe.js';
import { getFullRunView } from './view.js';

const QUERY_DEADLINE_MS = 2_000;

export interface NodesPageView {
  nodes: (NodeView & { id: string })[];
  next: string | null;
  stale?: true;
}

function pageOf(all: Record<string, NodeView>, request: NodesRequest & { limit: number }): NodesPageView {
  const ids = Object.keys(all);
  let i = request.after === undefined ? 0 : ids.indexOf(request.after) + 1 || ids.length;
  const nodes: NodesPageView['nodes'] = [];
  for (; i < ids.length && nodes.length < request.limit; i++) {
    const id = ids[i]!;
    if (request.state === undefined || all[id]!.state === request.state) nodes.push({ id, ...all[id]! });
  }
  const more = ids.slice(i).some((id) => request.state === undefined || all[id]!.state === request.state);
  return { nodes, next: more && i > 0 ? ids[i - 1]! : null };
}

export async function getNodesPage(client: Client, runId: string, described: DescribedRun, request: NodesRequest & { limit: number }): Promise<NodesPageView> {
  try {
    const page: NodesPage = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => described.handle.query(nodesQuery, request));
    return page;
  } catch {
    // No worker answered in time, or the run's workflow code predates the query.
    const view = await getFullRunView(client, runId, described);
    return { ...pageOf(view.nodes, request), ...(view.stale ? { stale: true as const } : {}) };
  }
}
