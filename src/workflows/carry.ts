// What a run hands to its next execution when it continues as new, packed small: one short array
// per node, so the carry of a 10,000-node run stays far below Temporal's payload limit next to the
// spec. Pure (the workflow bundle and the API's history view both read it).
import type { NodeState } from '../dag/vocabulary.js';
import type { MapRecord, NodeStats, NodeTry } from './messages.js';

/**
 * One node: [state code, attempt, startedAt ms, endedAt ms, executions, rowsIn, rowsOut, other stats,
 * error, outputs, earlier tries, a mapped node's chunk results]. Times are epoch ms (0 = not yet); trailing empty fields are left off.
 */
export type PackedNode = [string, number?, number?, number?, number?, number?, number?, Record<string, number>?, (string | null)?, (Record<string, unknown> | null)?, NodeTry[]?, (MapRecord | null)?];

export interface RunCarry {
  startedAt: string;
  paused: boolean;
  /** Executions of the run so far. */
  segments: number;
  nodes: PackedNode[];
  /** The last sequence number of the run's history writes. */
  recordSeq?: number;
  /** Whether the run already told its notify targets that it missed its sla. */
  slaMissed?: boolean;
  /** A run with a concurrency slot holds it still: when it got it (its marks, read then, are the input's `state`). */
  slot?: { readFrom: string };
  /** The run's logical time (`run.scheduledAt`), kept as it was when the run started. */
  scheduledAt?: string;
}

/** A node as carried, unpacked. */
export interface CarriedNode {
  state: NodeState;
  skip: 'when' | 'upstream' | null;
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  executions: number;
  stats: NodeStats;
  error: string | null;
  outputs: Record<string, unknown> | null;
  earlierTries: NodeTry[];
  map: MapRecord | null;
}

const CODES: Record<string, [NodeState, 'when' | 'upstream' | null]> = {
  p: ['pending', null],
  s: ['succeeded', null],
  f: ['failed', null],
  w: ['skipped', 'when'],
  u: ['skipped', 'upstream'],
  c: ['cancelled', null],
};

function codeOf(state: NodeState, skip: 'when' | 'upstream' | null): string {
  if (state === 'skipped') return skip === 'when' ? 'w' : 'u';
  // A run continues as new only with nothing in flight: running and paused are pending again.
  return { pending: 'p', running: 'p', paused: 'p', succeeded: 's', failed: 'f', cancelled: 'c' }[state];
}

const ms = (iso: string | null): number => (iso === null ? 0 : Date.parse(iso));
const iso = (n: number | undefined): string | null => (n ? new Date(n).toISOString() : null);

export function packNode(n: CarriedNode): PackedNode {
  const { rowsIn, rowsOut, ...other } = n.stats;
  const packed: PackedNode = [
    codeOf(n.state, n.skip),
    n.attempt,
    ms(n.startedAt),
    ms(n.endedAt),
    n.executions,
    rowsIn,
    rowsOut,
    other,
    n.error,
    n.outputs,
    n.earlierTries,
    n.map,
  ];
  // Drop trailing fields that say nothing.
  const empty = (v: unknown): boolean =>
    v === 0 || v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
  while (packed.length > 1 && empty(packed[packed.length - 1])) packed.pop();
  return packed;
}

export function unpackNode(p: PackedNode): CarriedNode {
  const [state, skip] = CODES[p[0]] ?? ['pending', null];
  return {
    state,
    skip,
    attempt: p[1] ?? 0,
    startedAt: iso(p[2]),
    endedAt: iso(p[3]),
    executions: p[4] ?? 0,
    stats: { ...(p[7] ?? {}), rowsIn: p[5] ?? 0, rowsOut: p[6] ?? 0 },
    error: p[8] ?? null,
    outputs: p[9] ?? null,
    earlierTries: p[10] ?? [],
    map: p[11] ?? null,
  };
}
