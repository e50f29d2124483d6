// The row loop of the transforms that keep or reject rows unchanged (filter, validate): each row
// gets a verdict, and rejected rows become bad records with their position in the batch.
import type { BadRecord, Row } from '../../src/kit/index.js';

/** Keep the row, drop it silently, or reject it with a reason. */
export type Verdict = 'keep' | 'drop' | { reject: string };

export function judgeRows(rows: readonly Row[], position: (i: number) => string, verdict: (row: Row) => Verdict): { rows: Row[]; bad: BadRecord[] } {
  const out: Row[] = [];
  const bad: BadRecord[] = [];
  rows.forEach((row, i) => {
    const v = verdict(row);
    if (v === 'keep') out.push(row);
    else if (v !== 'drop') bad.push({ reason: v.reject, position: position(i), record: row });
  });
  return { rows: out, bad };
}
