// Checks 4 (and a transform's own share of 2) for transforms, run part by part as the engine runs
// them (src/activities/kinds/transform.ts): a valid schema; rows keyed by it; bad records at the
// position the engine named, carrying the input row; `columns`, when declared, giving through the
// engine's field-by-field COPY rewrite the same rows as `apply`; and a run resumed at any part (a
// fresh prepare, `restore` fed the output already staged) giving the same output as one that was not.
import assert from 'node:assert/strict';
import { DataError, type BadRecord, type ColumnSchema, type PreparedTransform, type Row, type TransformNodeType } from '../../src/kit/index.js';
import { copyEncodable, decodeCopyText, encodeCopyText, mapCopyText } from '../../src/kit/copy-text.js';
import { nodeConfig } from './context.js';
import type { TransformFixture } from './fixture.js';
import { partsOf, SAMPLE_ROWS, SAMPLE_SCHEMA } from './sample.js';
import { assertBadRecordShape, assertRowsFit, assertValidSchema } from './schema.js';

const PART_ROWS = 4;

interface PartOutput {
  rows: Row[];
  bad: BadRecord[];
}

/** The engine's name for row i of part `part` whose first row is input row `first` (0-based). */
const positionIn = (part: number, first: number) => (i: number) => `part ${part} row ${first + i + 1}`;

function inputOf(fixture: TransformFixture): { schema: ColumnSchema[]; parts: Row[][] } {
  const input = fixture.input ?? { schema: SAMPLE_SCHEMA, rows: SAMPLE_ROWS };
  return { schema: input.schema, parts: partsOf(input.rows, PART_ROWS) };
}

/** Applies `prepared` to parts `from`.. of `parts`, as the engine does. */
function run(prepared: PreparedTransform, parts: readonly Row[][], from = 0): PartOutput[] {
  const out: PartOutput[] = [];
  let first = parts.slice(0, from).reduce((n, p) => n + p.length, 0);
  for (let part = from; part < parts.length; part++) {
    // The transform gets copies: one that edited its input in place would corrupt the comparisons below.
    out.push(prepared.apply(structuredClone(parts[part]!), positionIn(part, first)));
    first += parts[part]!.length;
  }
  return out;
}

export function assertTransformConforms(type: string, node: TransformNodeType, fixture: TransformFixture, secrets: Record<string, string>): void {
  const config = nodeConfig(node.config, fixture.config, secrets);
  const input = inputOf(fixture);
  const prepared = node.prepare(config, input.schema);
  assertValidSchema(prepared.schema, type);
  const full = run(prepared, input.parts);
  const rows = full.flatMap((p) => p.rows);
  const bad = full.flatMap((p) => p.bad);
  assertRowsFit(prepared.schema, rows, type);
  assertBadRecordShape(bad, type);
  assert.deepEqual({ rows: rows.length, bad: bad.length }, fixture.expect, `${type}: rows out and bad records of the fixture's input`);

  let first = 0;
  input.parts.forEach((part, p) => {
    const position = positionIn(p, first);
    for (const b of full[p]!.bad) {
      const i = part.findIndex((_, j) => position(j) === b.position);
      assert.ok(i >= 0, `${type}: bad record position "${b.position}" is one the engine gave for part ${p}`);
      assert.deepEqual(b.record, part[i], `${type}: the bad record at ${b.position} carries that input row`);
    }
    first += part.length;
  });
}

/** With `columns` declared, the engine's COPY text rewrite of each part gives what `apply` gives. */
export function assertColumnsMatchApply(type: string, node: TransformNodeType, fixture: TransformFixture, secrets: Record<string, string>): boolean {
  const config = nodeConfig(node.config, fixture.config, secrets);
  const input = inputOf(fixture);
  const prepared = node.prepare(config, input.schema);
  if (prepared.columns === undefined) return false;
  assert.equal(prepared.columns.length, prepared.schema.length, `${type}: one column step per output column`);
  prepared.columns.forEach((c, j) => assert.ok(Number.isInteger(c.from) && c.from >= 0 && c.from < input.schema.length, `${type}: output column ${j} comes from an input column (from: ${c.from})`));
  assert.ok(copyEncodable(input.schema) && copyEncodable(prepared.schema), `${type}: the fixture's input and output can be COPY text (needed to check columns)`);
  const applied = run(prepared, input.parts);
  let first = 0;
  input.parts.forEach((part, p) => {
    const where = `part ${p}`;
    const out = mapCopyText(encodeCopyText(part, input.schema, where), input.schema, prepared.schema, prepared.columns!, where, (err) => err instanceof DataError);
    const position = positionIn(p, first);
    assert.deepEqual(decodeCopyText(out.data, prepared.schema, where), applied[p]!.rows, `${type}: ${where} rewritten by columns gives the rows apply gives`);
    assert.deepEqual(
      out.bad.map((b) => ({ position: position(b.line - 1), record: b.row })),
      applied[p]!.bad.map((b) => ({ position: b.position, record: b.record })),
      `${type}: ${where} rewritten by columns rejects the rows apply rejects`,
    );
    first += part.length;
  });
  return true;
}

/** Resumed at any part (fresh prepare, restore from the staged output), the rest of the output is what an uninterrupted run gives. */
export function assertResumesAtAnyPart(type: string, node: TransformNodeType, fixture: TransformFixture, secrets: Record<string, string>): void {
  const config = nodeConfig(node.config, fixture.config, secrets);
  const input = inputOf(fixture);
  const full = run(node.prepare(config, input.schema), input.parts);
  for (let k = 1; k < input.parts.length; k++) {
    const resumed = node.prepare(config, input.schema);
    resumed.restore?.(structuredClone(full.slice(0, k).flatMap((p) => p.rows)));
    const rest = run(resumed, input.parts, k);
    const how = resumed.restore ? 'restored from the output staged before it' : 'with no restore declared, so it may keep no state across parts';
    assert.deepEqual(rest, full.slice(k), `${type}: resumed at part ${k} of ${input.parts.length} (${how}), it gives the same output as without the interruption`);
  }
}
