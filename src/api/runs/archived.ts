// GET /runs/{id} for a run Temporal no longer has (its retention removed it, or it was deleted):
// the view the durable run history can give, marked `archived` (and `stale`: nothing live).
import { CENTRAL, NODE_STATES, type NodeState } from '../../dag/vocabulary.js';
import type { RunRecord } from '../../store/types.js';
import type { NodeView, RunView } from '../schemas.js';

interface RecordedNode {
  state: NodeState;
  attempt: number;
  rowsIn: number;
  rowsOut: number;
  error: string | null;
}

export function archivedView(r: RunRecord): RunView {
  const nodes: Record<string, NodeView> = {};
  for (const [id, n] of Object.entries((r.nodes ?? {}) as Record<string, RecordedNode>)) {
    nodes[id] = { state: n.state, attempt: n.attempt, startedAt: null, endedAt: null, stats: { rowsIn: n.rowsIn, rowsOut: n.rowsOut }, error: n.error, site: CENTRAL, outputs: null };
  }
  const summary = r.summary as RunView['summary'] | null;
  return {
    runId: r.runId,
    pipeline: r.pipeline,
    version: r.version ?? 0,
    status: r.status,
    startedAt: r.startedAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    error: r.error,
    ...(summary ? { summary } : { summary: { nodes: 0, byState: Object.fromEntries(NODE_STATES.map((s) => [s, 0])) as Record<NodeState, number>, rowsIn: 0, rowsOut: 0, segments: 1 } }),
    nodes,
    detail: r.nodes ? 'all' : 'partial',
    scheduleId: r.scheduleId,
    scheduledAt: r.scheduledAt?.toISOString() ?? null,
    stale: true,
    archived: true,
  };
}
