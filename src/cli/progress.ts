// What `sluice run --follow` shows of a run's view (GET /runs/{id}): a table redrawn in place on a
// terminal, or one plain line per change when stdout is a file or a pipe (CI logs, `| tee`). Pure:
// the command feeds it views and writes what it returns.
import type { Schemas } from '../api/client/index.js';

type RunView = Schemas['Run'];
type NodeView = RunView['nodes'][string];
import { FINAL_NODE_STATES, NODE_STATES, type RunStatus } from '../dag/vocabulary.js';

/** Run statuses after which following stops: closed, or failed and waiting for a retry (which may be days). */
export function isSettled(view: Pick<RunView, 'status'>): boolean {
  const settled: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];
  return settled.includes(view.status);
}

const count = new Intl.NumberFormat('en-US');

export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** The rows a node has moved: what it wrote, else what it read. */
function rowsOf(node: Pick<NodeView, 'stats'>): number {
  return node.stats.rowsOut ?? node.stats.rowsIn ?? 0;
}

function elapsedOf(startedAt: string | null, endedAt: string | null, now: number): number | null {
  if (!startedAt) return null;
  return (endedAt ? Date.parse(endedAt) : now) - Date.parse(startedAt);
}

/** `running 40/100 items` for a mapped node, else the state (and why a node that could run waits). */
function stateOf(node: NodeView): string {
  let text: string = node.state;
  if (node.map) {
    const done = Object.entries(node.map.byState).reduce((n, [state, c]) => n + (FINAL_NODE_STATES.has(state as NodeView['state']) ? (c ?? 0) : 0), 0);
    text += ` ${count.format(done)}/${count.format(node.map.items)} items`;
  }
  return text;
}

interface Sample {
  rows: number;
  at: number;
}

export interface NodeLine {
  id: string;
  state: string;
  rows: number;
  /** Rows a second: since the previous view while it runs, over its whole run once it ended; null before it starts. */
  rate: number | null;
  elapsedMs: number | null;
  waiting: string | undefined;
  error: string | null;
}

/** `6 nodes: 2 succeeded, 1 running, 3 pending; rows in 1,200, out 1,100`. */
export function summaryText(view: RunView): string {
  const s = view.summary;
  if (!s) return `${Object.keys(view.nodes).length} nodes`;
  const states = NODE_STATES.filter((st) => (s.byState[st] ?? 0) > 0).map((st) => `${count.format(s.byState[st] ?? 0)} ${st}`);
  return `${count.format(s.nodes)} nodes: ${states.join(', ') || 'none'}; rows in ${count.format(s.rowsIn)}, out ${count.format(s.rowsOut)}`;
}

/** `run orders-1a2b: running, 12s (6 nodes: ...)`. */
export function runLine(view: RunView, now: number): string {
  const elapsed = elapsedOf(view.startedAt, view.endedAt, now);
  const extra = [view.waiting, view.stale ? 'stale: no worker answered, read from history' : undefined].filter(Boolean);
  return `run ${view.runId}: ${view.status}${elapsed === null ? '' : `, ${formatDuration(elapsed)}`} (${summaryText(view)})${extra.length ? ` [${extra.join('; ')}]` : ''}`;
}

/** Follows a run view by view; keeps what it needs to compute rates and to tell what changed. */
export class ProgressView {
  private samples = new Map<string, Sample>();
  private lastPlain = new Map<string, string>();
  private lastRunLine = '';
  private lastSummary = '';
  private drawnLines = 0;

  /** The node lines of a view, in the view's order (spec order), with rates against the previous view. */
  nodeLines(view: RunView, now: number): NodeLine[] {
    return Object.entries(view.nodes).map(([id, node]) => {
      const rows = rowsOf(node);
      const elapsedMs = elapsedOf(node.startedAt, node.endedAt, now);
      let rate: number | null = null;
      if (node.endedAt && elapsedMs !== null) rate = elapsedMs > 0 ? (rows * 1000) / elapsedMs : null;
      else if (elapsedMs !== null) {
        const before = this.samples.get(id);
        rate = before && now > before.at ? ((rows - before.rows) * 1000) / (now - before.at) : elapsedMs > 0 ? (rows * 1000) / elapsedMs : null;
      }
      this.samples.set(id, { rows, at: now });
      return { id, state: stateOf(node), rows, rate, elapsedMs, waiting: node.waiting, error: node.error };
    });
  }

  /** Plain mode: the lines to print for this view, one per node whose state, rows or wait changed, and one when the run's status or summary changed. */
  plain(view: RunView, now: number): string[] {
    const out: string[] = [];
    for (const n of this.nodeLines(view, now)) {
      const key = `${n.state}|${n.rows}|${n.waiting ?? ''}`;
      if (this.lastPlain.get(n.id) === key) continue;
      this.lastPlain.set(n.id, key);
      const parts = [n.state, `${count.format(n.rows)} rows`];
      if (n.rate !== null && n.rows > 0) parts.push(`${count.format(Math.round(n.rate))} rows/s`);
      if (n.elapsedMs !== null) parts.push(formatDuration(n.elapsedMs));
      if (n.waiting) parts.push(`waiting: ${n.waiting}`);
      out.push(`${n.id}: ${parts.join(', ')}`);
    }
    // A big run lists only its active nodes: its summary is how the rest shows progress.
    const summary = summaryText(view);
    const runKey = `${view.status}|${view.waiting ?? ''}`;
    if (runKey !== this.lastRunLine || (view.detail === 'partial' && summary !== this.lastSummary)) out.push(runLine(view, now));
    this.lastRunLine = runKey;
    this.lastSummary = summary;
    return out;
  }

  /** Terminal mode: the frame to draw over the previous one (ANSI), fitted to `height` lines. */
  frame(view: RunView, now: number, height: number, width: number): string {
    const nodes = this.nodeLines(view, now);
    // Active nodes first when they do not all fit: they are what moves.
    const room = Math.max(3, height - 4);
    const active = (n: NodeLine) => !FINAL_NODE_STATES.has(n.state.split(' ')[0] as NodeView['state']) && n.state !== 'pending';
    const shown = nodes.length <= room ? nodes : [...nodes.filter(active), ...nodes.filter((n) => !active(n))].slice(0, room - 1);
    const header = ['NODE', 'STATE', 'ROWS', 'ROWS/S', 'ELAPSED'];
    const cells = shown.map((n) => [
      n.id,
      n.waiting ? `${n.state} (waiting)` : n.state,
      count.format(n.rows),
      n.rate === null || n.rows === 0 ? '' : count.format(Math.round(n.rate)),
      n.elapsedMs === null ? '' : formatDuration(n.elapsedMs),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const row = (c: string[]) => c.map((v, i) => (i >= 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ');
    const lines = [runLine(view, now), `\x1b[2m${row(header)}\x1b[0m`, ...cells.map(row)];
    const hidden = (view.summary?.nodes ?? nodes.length) - shown.length;
    if (hidden > 0) lines.push(`\x1b[2m... ${count.format(hidden)} more nodes (${view.detail === 'partial' ? 'the API lists only running, paused and failed nodes of a run this big' : 'not active'})\x1b[0m`);
    const clipped = lines.map((l) => (width >= 20 && visibleLength(l) > width ? `${l.slice(0, width - 1)}…\x1b[0m` : l));
    // Move up over the last frame, clear it, draw this one.
    const erase = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : '';
    this.drawnLines = clipped.length;
    return `${erase}${clipped.join('\n')}\n`;
  }
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').length;
}

/** The run's error and each failed node's, for the end of a run that did not complete. */
export function failureLines(view: RunView): string[] {
  const lines = [`run ${view.runId} ${view.status}${view.error ? `: ${view.error}` : ''}`];
  for (const [id, node] of Object.entries(view.nodes)) {
    if (node.state === 'failed') lines.push(`  node ${id} failed${node.error ? `: ${node.error}` : ''}`);
  }
  if (view.status === 'failed' && view.recoverableUntil) {
    lines.push(`it waits for a retry until ${view.recoverableUntil}: sluice retry ${view.runId}`);
  }
  return lines;
}
