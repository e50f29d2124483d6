// The high-water mark of an incremental read: where the last successful run stopped. The next
// run reads only rows past it. It is saved by the engine only when the whole run succeeded.
import type { Row } from '../../src/kit/index.js';
import type { Bound } from './plan.js';

export interface IncrementalState {
  /** The incremental column the mark belongs to. */
  column: string;
  /** The highest value of `column` read so far. */
  mark: unknown;
  /** The rest of the ordering key at the mark, so rows that share the mark but were added later are still read. */
  key: Record<string, unknown>;
}

function isState(v: unknown): v is IncrementalState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<IncrementalState>;
  return typeof s.column === 'string' && 'mark' in s && typeof s.key === 'object' && s.key !== null;
}

/** The state after reading `last`, the last row of a batch ordered by `order` (incremental column first). */
export function stateAfter(order: readonly string[], last: Row): IncrementalState {
  const [column, ...rest] = order;
  return { column: column!, mark: last[column!] ?? null, key: Object.fromEntries(rest.map((k) => [k, last[k] ?? null])) };
}

/**
 * Where this run starts given the saved state: after (mark, key) when the ordering is unchanged,
 * after the mark alone when only the key changed, from the start when there is no usable mark.
 */
export function startBound(order: readonly string[], saved: unknown): { bound: Bound | null; ignored?: string } {
  if (saved === undefined || saved === null) return { bound: null };
  if (!isState(saved)) return { bound: null, ignored: 'the saved state is not an incremental mark' };
  const [column, ...rest] = order;
  if (saved.column !== column) return { bound: null, ignored: `the saved mark is of column ${saved.column}, not ${column}` };
  const names = Object.keys(saved.key);
  if (names.length === rest.length && names.every((n, i) => n === rest[i])) {
    return { bound: { columns: [...order], values: [saved.mark, ...rest.map((k) => saved.key[k])] } };
  }
  return { bound: { columns: [column], values: [saved.mark] } };
}
