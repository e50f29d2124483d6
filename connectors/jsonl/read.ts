// jsonl.read: streams JSON-lines files (one JSON object per line) into a dataset, batchSize lines
// at a time. The schema is the typed fields (config.types) followed by the other fields of the
// first batchSize lines of the input, types inferred from them. It is sampled from the start of the
// input on every attempt, so a resumed read converts values exactly as the first attempt did.
// A line that is not JSON, not an object, has a field its column type cannot hold, or (unless
// ignoreUnknownFields) a field outside the schema becomes a bad record positioned `<file> line N`.
import type { ColumnSchema, ColumnType, Row, SourceBatch, SourceContext } from '../../src/kit/index.js';
import { isGzip, openContent } from '../../src/kit/files/content.js';
import { LineSplitter, type Line } from '../../src/kit/files/lines.js';
import { listFiles, type SourceFile } from '../../src/kit/files/list.js';
import { readFiles, type Parsed, type Position } from '../../src/kit/files/source.js';
import { fromJson, inferType } from '../../src/kit/files/types.js';
import type { JsonlReadConfig } from './schema.js';

async function* lines(file: SourceFile, gzip: boolean, from: Position): AsyncGenerator<Line> {
  const { start, chunks } = await openContent(file, gzip, from.byte);
  const splitter = new LineSplitter({ byte: start, line: from.line });
  try {
    for await (const chunk of chunks) yield* splitter.push(chunk);
    yield* splitter.end();
  } finally {
    await chunks.return(undefined);
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** A line's JSON object, or why it is not one; null for a blank line. */
function parseObject(line: Line): { object: Row } | { error: string } | null {
  if (line.tooLong !== undefined) return { error: `line of ${line.tooLong} bytes is too long to read (kept here: its first bytes)` };
  if (line.text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (err) {
    return { error: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: `expected a JSON object, found ${kindOf(value)}` };
  return { object: value as Row };
}

/** Typed fields first, then the other fields of up to `sample` lines from the start, in order of appearance. */
async function inferSchema(files: readonly SourceFile[], config: JsonlReadConfig): Promise<ColumnSchema[]> {
  const types = config.types ?? {};
  const seen = new Map<string, unknown[]>();
  let looked = 0;
  sampling: for (const file of files) {
    for await (const line of lines(file, await isGzip(file, config.gzip), { byte: 0, line: 0 })) {
      const parsed = parseObject(line);
      if (parsed === null) continue;
      if (++looked > config.batchSize) break sampling;
      if ('error' in parsed) continue;
      for (const [key, value] of Object.entries(parsed.object)) {
        if (Object.hasOwn(types, key)) continue;
        let values = seen.get(key);
        if (!values) seen.set(key, (values = []));
        values.push(value);
      }
    }
  }
  return [
    ...Object.entries(types).map(([name, type]) => ({ name, type })),
    ...[...seen].map(([name, values]) => ({ name, type: inferType(values) })),
  ];
}

/** A line as a row of `schema`, or a bad record saying why it is not one; null for a blank line. */
export function parseLine(line: Line, file: SourceFile, schema: ReadonlyMap<string, ColumnType>, ignoreUnknown: boolean): Parsed | null {
  const parsed = parseObject(line);
  if (parsed === null) return null;
  const bad = (reason: string): Parsed => ({ bad: { reason, position: `${file.name} line ${line.line}`, record: line.text }, end: line.end });
  if ('error' in parsed) return bad(parsed.error);
  const row = parsed.object;
  for (const [field, value] of Object.entries(row)) {
    const type = schema.get(field);
    if (type === undefined) {
      if (!ignoreUnknown) return bad(`field "${field}" is not in the schema (${[...schema.keys()].join(', ')}); declare it in config.types, or set ignoreUnknownFields`);
      delete row[field];
      continue;
    }
    const converted = fromJson(value, type);
    if ('error' in converted) return bad(`field "${field}": ${converted.error}`);
    row[field] = converted.value;
  }
  return { row, end: line.end };
}

export async function* read(config: JsonlReadConfig, ctx: SourceContext): AsyncGenerator<SourceBatch> {
  const files = await listFiles(config.path, ctx.access);
  const schema = await inferSchema(files, config);
  const types = new Map(schema.map((c) => [c.name, c.type]));
  yield* readFiles(config, ctx, files, {
    async *parse(file, gzip, from) {
      for await (const line of lines(file, gzip, from)) {
        const parsed = parseLine(line, file, types, config.ignoreUnknownFields);
        if (parsed) yield parsed;
      }
    },
    schema: () => schema,
  });
}
