// Checks 2a and 4 for sources, at the contract level: a full read gives the fixture's rows in
// several batches with a valid schema; a read resumed from any batch's cursor (after the JSON
// round trip a checkpoint makes through Temporal) yields exactly what the full read yields after
// that batch, rows and bad records alike; and bad records say why, where, and what.
import assert from 'node:assert/strict';
import type { BadRecord, ColumnSchema, Row, SourceBatch, SourceNodeType } from '../../src/kit/index.js';
import { batchRows, newIdentity, nodeConfig, sourceContext } from './context.js';
import { assertBadRecordShape, assertRowsFit, assertValidSchema } from './schema.js';

/** A checkpoint goes out in heartbeats and workflow history: this much JSON at most. */
const MAX_CURSOR_BYTES = 16 * 1024;

export interface FullRead {
  batches: SourceBatch[];
  schema: ColumnSchema[];
  /** Rows of each batch, decoded when it came as COPY text. */
  rows: Row[][];
  bad: BadRecord[][];
}

async function collect(node: SourceNodeType, config: unknown, cursor: unknown): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  for await (const batch of node.read(config, sourceContext(newIdentity('extract'), cursor))) out.push(batch);
  return out;
}

/** Schemas as the engine grows them: later batches may add columns, never retype one. */
function grow(current: ColumnSchema[], next: ColumnSchema[], what: string): ColumnSchema[] {
  const known = new Map(current.map((c) => [c.name, c.type]));
  for (const c of next) {
    const type = known.get(c.name);
    assert.ok(type === undefined || type === c.type, `${what}: column "${c.name}" changed type from ${type} to ${c.type} between batches`);
  }
  return [...current, ...next.filter((c) => !known.has(c.name))];
}

/** Reads `raw` from the start; checks the schema, and that rows come with one. */
export async function fullRead(type: string, node: SourceNodeType, raw: unknown, secrets: Record<string, string>): Promise<FullRead> {
  const config = nodeConfig(node.config, raw, secrets);
  const batches = await collect(node, config, undefined);
  let schema: ColumnSchema[] | null = null;
  for (const [i, batch] of batches.entries()) {
    if (batch.schema) {
      assertValidSchema(batch.schema, `${type} batch ${i}`);
      schema = schema === null ? batch.schema : grow(schema, batch.schema, type);
    }
    const count = batch.copy ? batch.copy.rows : batch.rows.length;
    assert.ok(count === 0 || schema !== null, `${type}: batch ${i} has rows but no schema came with it or before it`);
  }
  assert.ok(schema !== null, `${type}: the read reports a schema`);
  const rows = batches.map((b) => batchRows(b, schema));
  batches.forEach((b, i) => {
    if (b.copy) assert.equal(rows[i]!.length, b.copy.rows, `${type}: batch ${i}'s COPY text holds the rows it counts`);
  });
  const bad = batches.map((b) => b.bad ?? []);
  assertRowsFit(schema, rows.flat(), type);
  assertBadRecordShape(bad.flat(), type);
  return { batches, schema, rows, bad };
}

/** The full read yields `expected`, in order, in at least `minBatches` batches with rows. */
export function assertReadsRows(type: string, read: FullRead, expected: readonly Row[], minBatches: number): void {
  assert.deepEqual(read.rows.flat(), expected, `${type}: the read yields the fixture's rows, in order, with their values`);
  const withRows = read.rows.filter((r) => r.length > 0).length;
  assert.ok(withRows >= minBatches, `${type}: the fixture's read comes in at least ${minBatches} batches with rows (got ${withRows}), so resuming has somewhere to resume from`);
}

/** From every batch's cursor, a resumed read yields exactly the rows and bad records the full read has after that batch. */
export async function assertResumesExactly(type: string, node: SourceNodeType, raw: unknown, secrets: Record<string, string>, full: FullRead): Promise<void> {
  const config = nodeConfig(node.config, raw, secrets);
  for (const [k, batch] of full.batches.entries()) {
    const json = JSON.stringify(batch.cursor) as string | undefined;
    const cursor: unknown = json === undefined ? undefined : JSON.parse(json);
    assert.deepEqual(cursor, batch.cursor, `${type}: batch ${k}'s cursor survives a JSON round trip (it travels in heartbeats)`);
    assert.ok((json?.length ?? 0) <= MAX_CURSOR_BYTES, `${type}: batch ${k}'s cursor is small JSON (${json?.length} bytes)`);
    const rest = await collect(node, config, cursor);
    for (const b of rest) {
      if (b.schema) assertValidSchema(b.schema, `${type} resumed after batch ${k}`);
    }
    const rows = rest.flatMap((b) => batchRows(b, full.schema));
    const bad = rest.flatMap((b) => b.bad ?? []);
    const wantRows = full.rows.slice(k + 1).flat();
    const wantBad = full.bad.slice(k + 1).flat();
    assert.equal(rows.length, wantRows.length, `${type}: resumed after batch ${k} of ${full.batches.length}, it yields the ${wantRows.length} rows after it (${rows.length < wantRows.length ? 'a gap' : 'a repeat'})`);
    assert.deepEqual(rows, wantRows, `${type}: resumed after batch ${k}, it yields exactly the rows after it`);
    assert.deepEqual(bad, wantBad, `${type}: resumed after batch ${k}, it yields exactly the bad records after it`);
  }
}

/** The bad input's bad records are where the fixture says, in order, each with its reason and record. */
export function assertBadRecords(type: string, read: FullRead, positions: readonly string[]): void {
  const bad = read.bad.flat();
  assert.deepEqual(
    bad.map((b) => b.position),
    positions,
    `${type}: the bad records are reported at the positions of the bad input`,
  );
}
