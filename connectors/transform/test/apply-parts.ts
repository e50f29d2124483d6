// Runs a prepared transform over in-memory parts the way the engine does (not itself a test file).
import type { BadRecord, PreparedTransform } from '../../../src/kit/contract.js';
import type { Row } from '../../../src/kit/dataset.js';

export interface Applied {
  rows: Row[][];
  bad: BadRecord[];
}

/** Applies `t` to each part in order, naming rows `part P row N` like the engine. */
export function applyParts(t: PreparedTransform, parts: Row[][]): Applied {
  const out: Applied = { rows: [], bad: [] };
  let seen = 0;
  parts.forEach((rows, part) => {
    const first = seen;
    const result = t.apply(rows, (i) => `part ${part} row ${first + i + 1}`);
    out.rows.push(result.rows);
    out.bad.push(...result.bad);
    seen += rows.length;
  });
  return out;
}
