// csv.read: streams the records of one or more CSV files into a dataset, batchSize records at a
// time. Column names come from `columns` or the first file's header; every file's header must
// name the same columns (in any order). A record with the wrong number of fields, broken quoting,
// or a value its column type cannot hold becomes a bad record positioned `<file> line N`.
import { type ColumnSchema, ConfigError, DataError, type Row, type SourceBatch, type SourceContext } from '../../src/kit/index.js';
import { openContent, isGzip } from '../../src/kit/files/content.js';
import { listFiles, type SourceFile } from '../../src/kit/files/list.js';
import { readFiles, type Parsed, type Position } from '../../src/kit/files/source.js';
import { fromText } from '../../src/kit/files/types.js';
import { CsvTokenizer, type CsvRecord } from './parse.js';
import type { CsvReadConfig } from './schema.js';

/** Records of `file` from `from`, closing the file when the caller stops early. */
async function* records(file: SourceFile, gzip: boolean, from: Position, config: CsvReadConfig): AsyncGenerator<CsvRecord> {
  const { start, chunks } = await openContent(file, gzip, from.byte);
  const tokenizer = new CsvTokenizer(config, { byte: start, line: from.line });
  try {
    for await (const chunk of chunks) yield* tokenizer.push(chunk);
    yield* tokenizer.end();
  } catch (err) {
    if (err instanceof DataError && err.message.startsWith('line ')) throw new DataError(`${file.name} ${err.message}`);
    throw err;
  } finally {
    await chunks.return(undefined);
  }
}

/** The header record of `file`, or null when the file is empty. */
async function headerOf(file: SourceFile, config: CsvReadConfig): Promise<CsvRecord | null> {
  const gzip = await isGzip(file, config.gzip);
  for await (const record of records(file, gzip, { byte: 0, line: 0 }, config)) return record;
  return null;
}

function headerNames(header: CsvRecord, file: SourceFile): string[] {
  const where = `${file.name} line ${header.line}`;
  if (header.error) throw new DataError(`${where}: the header is malformed: ${header.error}`);
  const names = header.fields.map((f) => f.value);
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '') throw new DataError(`${where}: header column ${i + 1} has no name; name it, or set config.columns`);
    if (seen.has(name)) throw new DataError(`${where}: the header names column "${name}" twice; set config.columns`);
    seen.add(name);
  });
  return names;
}

/** For each field of `file`'s records, its index in `columns`. */
function fieldOrder(header: CsvRecord, file: SourceFile, columns: readonly string[], config: CsvReadConfig): number[] {
  if (config.columns) {
    if (header.fields.length !== columns.length) {
      throw new DataError(`${file.name} line ${header.line}: the header has ${header.fields.length} columns but config.columns names ${columns.length}`);
    }
    return columns.map((_, i) => i);
  }
  const names = headerNames(header, file);
  const same = names.length === columns.length && names.every((n) => columns.includes(n));
  if (!same) throw new DataError(`${file.name} line ${header.line}: its columns (${names.join(', ')}) differ from those of the first file (${columns.join(', ')})`);
  return names.map((n) => columns.indexOf(n));
}

function toParsed(record: CsvRecord, file: SourceFile, order: readonly number[], schema: readonly ColumnSchema[]): Parsed {
  const position = `${file.name} line ${record.line}`;
  const bad = (reason: string): Parsed => ({ bad: { reason, position, record: record.text() }, end: record.end });
  if (record.error) return bad(record.error);
  if (record.fields.length !== order.length) return bad(`expected ${order.length} fields, found ${record.fields.length}`);
  const values: unknown[] = new Array(schema.length);
  for (let i = 0; i < order.length; i++) {
    const field = record.fields[i]!;
    const column = schema[order[i]!]!;
    // As in PostgreSQL's CSV format: an empty unquoted field is null, "" is an empty string.
    const text = field.quoted || field.value !== '' ? field.value : null;
    const converted = fromText(text, column.type);
    if ('error' in converted) return bad(`column "${column.name}": ${converted.error}`);
    values[order[i]!] = converted.value;
  }
  const row: Row = {};
  schema.forEach((c, i) => {
    row[c.name] = values[i];
  });
  return { row, end: record.end };
}

async function* parseFile(file: SourceFile, gzip: boolean, from: Position, config: CsvReadConfig, schema: readonly ColumnSchema[]): AsyncGenerator<Parsed> {
  const columns = schema.map((c) => c.name);
  let order: number[] | null = config.header ? null : columns.map((_, i) => i);
  if (order === null && from.byte > 0) {
    // Resuming past the header: read it again for this file's column order.
    const header = await headerOf(file, config);
    if (header) order = fieldOrder(header, file, columns, config);
  }
  for await (const record of records(file, gzip, from, config)) {
    if (order === null) {
      order = fieldOrder(record, file, columns, config);
      continue;
    }
    yield toParsed(record, file, order, schema);
  }
}

/** Column names: config.columns, or the header of the first file that has one (none: no columns). */
async function columnNames(files: readonly SourceFile[], config: CsvReadConfig): Promise<string[]> {
  if (config.columns) return config.columns;
  for (const file of files) {
    const header = await headerOf(file, config);
    if (header) return headerNames(header, file);
  }
  return [];
}

export async function* read(config: CsvReadConfig, ctx: SourceContext): AsyncGenerator<SourceBatch> {
  const files = await listFiles(config.path, ctx.access);
  const columns = await columnNames(files, config);
  for (const name of Object.keys(config.types ?? {})) {
    if (!columns.includes(name)) throw new ConfigError(`config.types.${name}: no such column in ${files[0]!.name} (columns: ${columns.join(', ')})`);
  }
  const schema: ColumnSchema[] = columns.map((name) => ({ name, type: config.types?.[name] ?? 'text' }));
  yield* readFiles(config, ctx, files, {
    parse: (file, gzip, from) => parseFile(file, gzip, from, config, schema),
    schema: () => schema,
  });
}
