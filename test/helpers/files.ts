// Shared by the csv and jsonl unit tests (no Temporal): reading a file source node directly, files
// to read, and the rows the write tests write.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { SinkContext, SourceBatch, SourceNodeType } from '../../src/kit/contract.js';
import type { ColumnSchema, Row } from '../../src/kit/dataset.js';
import { createLogger } from '../../src/log.js';
import { allBatches, sourceContext } from './source.js';
import { testAccess } from './access.js';

/** Every batch `node` reads with `config`, from `cursor` on. */
export function readAll(node: SourceNodeType, config: unknown, cursor?: unknown): Promise<SourceBatch[]> {
  return allBatches(node.read(config, sourceContext(cursor)));
}

export const rowsOf = (batches: SourceBatch[]) => batches.flatMap((b) => b.rows);
export const badOf = (batches: SourceBatch[]) => batches.flatMap((b) => b.bad ?? []);

/** Writes `text` (gzipped with `gzip`) to `name` under `dir`, creating its directories; returns its path. */
export function writeFile(dir: string, name: string, text: string, gzip = false): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, gzip ? zlib.gzipSync(text) : text);
  return file;
}

/**
 * Writes records 1..total as two files (`a.<ext>` up to `split`, `b.<ext>` after) under `plain/`
 * and gzipped under `gz/`, each file starting with `header`: a multi-file input in both encodings.
 */
export function writeSplitInputs(dir: string, ext: string, total: number, line: (i: number) => string, header = '', split = 12): void {
  for (const gzip of [false, true]) {
    for (const [file, from, to] of [[`a.${ext}`, 1, split], [`b.${ext}`, split + 1, total]] as const) {
      let text = header;
      for (let i = from; i <= to; i++) text += `${line(i)}\n`;
      writeFile(dir, `${gzip ? 'gz' : 'plain'}/${file}${gzip ? '.gz' : ''}`, text, gzip);
    }
  }
}

/** The part files a finished file sink wrote into `out`, in part order; throws when `_SUCCESS` is missing. */
export function finishedParts(out: string, extension: string): string[] {
  if (!fs.existsSync(path.join(out, '_SUCCESS'))) throw new Error(`${out} has no _SUCCESS: the load never finished`);
  const pattern = new RegExp(`^part-\\d+\\.${extension}$`);
  return fs
    .readdirSync(out)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => path.join(out, f));
}

/** A read of `config` resumed from any batch's cursor yields exactly the records (rows and bad ones) after that batch. */
export async function assertResumesAfterEveryBatch(node: SourceNodeType, config: unknown): Promise<void> {
  const full = await readAll(node, config);
  const all = full.flatMap((b) => [...b.rows.map((r) => ({ r })), ...(b.bad ?? []).map((x) => ({ x }))]);
  assert.ok(badOf(full).length >= 2, 'the fixture has bad records');
  assert.ok(full.every((b) => b.rows.length + (b.bad?.length ?? 0) <= 3), 'no batch is larger than batchSize');
  let seen = 0;
  for (const [i, batch] of full.entries()) {
    seen += batch.rows.length + (batch.bad?.length ?? 0);
    const rest = await readAll(node, config, batch.cursor);
    const restItems = rest.flatMap((b) => [...b.rows.map((r) => ({ r })), ...(b.bad ?? []).map((x) => ({ x }))]);
    assert.deepEqual(restItems, all.slice(seen), `resumed after batch ${i}`);
  }
}

/** The columns and rows the csv.write and jsonl.write unit tests write. */
export const SCHEMA: ColumnSchema[] = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'text' },
  { name: 'amount', type: 'numeric' },
  { name: 'at', type: 'timestamp' },
  { name: 'meta', type: 'json' },
  { name: 'ok', type: 'boolean' },
];
export const ROWS: Row[] = [
  { id: '1', name: 'Smith, "Jo"', amount: '12.50', at: '2024-01-02 03:04:05.123456+00', meta: { a: [1, 'x,y'] }, ok: true },
  { id: '2', name: '', amount: null, at: null, meta: null, ok: false },
  { id: '3', name: 'line\nbreak ✓', amount: '-0.001', at: '2024-02-29T00:00:00Z', meta: [1, 2], ok: null },
];

/** What a sink node gets from the engine, writing `schema`. */
export function sinkContext(schema = SCHEMA): SinkContext {
  return { runId: 'run-1', pipeline: 'p', nodeId: 'out', attempt: 1, log: createLogger('silent'), signal: new AbortController().signal, access: testAccess, schema };
}

/** The names in `dir`, sorted. */
export const listing = (dir: string) => fs.readdirSync(dir).sort();
