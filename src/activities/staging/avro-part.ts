// One dataset part as an Avro object container file: the schema travels in the file's header,
// rows are binary-encoded and compressed per block with deflate. Column names and types as the
// engine knows them (and which columns fell back to JSON text, see columns.ts) are kept in the
// header's `sluice.columns` metadata, because Avro names allow only [A-Za-z0-9_].
import avro from 'avsc';
import { DataError } from '../errors.js';
import type { ColumnSchema, Row } from '../staging.js';
import { bigintLong, columnCodec, fromJsonText, toJsonText, type ColumnEncoding } from './columns.js';

/** A column as stored in one part. */
export interface PartColumn {
  name: string;
  type: string;
  encoding: ColumnEncoding;
}

export const PART_CODEC = 'deflate';
const META_COLUMNS = 'sluice.columns';
/** Uncompressed bytes per Avro block: large enough for deflate to find repeats across rows. */
const BLOCK_SIZE = 256 * 1024;

/** Avro names are [A-Za-z_][A-Za-z0-9_]*: replace the rest, and keep names unique. */
function fieldNames(columns: readonly { name: string }[]): string[] {
  const used = new Set<string>();
  return columns.map((c) => {
    let base = c.name.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

function storesJsonText(c: PartColumn): boolean {
  return c.encoding === 'json' || columnCodec(c.type).jsonText === true;
}

function avroType(columns: readonly PartColumn[], fields: readonly string[]): avro.Type {
  const schema = {
    type: 'record',
    name: 'Row',
    namespace: 'sluice',
    fields: columns.map((c, i) => ({ name: fields[i]!, type: ['null', storesJsonText(c) ? 'string' : columnCodec(c.type).avro] })),
  };
  // `long` is always the bigint-as-decimal-string type, on both sides.
  return avro.Type.forSchema(schema as avro.schema.RecordType, { registry: { long: bigintLong }, wrapUnions: 'never' });
}

/** Decides each column's encoding for these rows: typed when every value fits, else json. */
function partColumns(rows: readonly Row[], schema: readonly ColumnSchema[]): PartColumn[] {
  return schema.map((c) => {
    const codec = columnCodec(c.type);
    const fits = rows.every((r) => {
      const v = r[c.name];
      return v === null || v === undefined || codec.fits(v);
    });
    return { name: c.name, type: c.type, encoding: fits ? 'typed' : 'json' };
  });
}

function checkFields(rows: readonly Row[], schema: readonly ColumnSchema[], where: string): void {
  const names = new Set(schema.map((c) => c.name));
  rows.forEach((row, i) => {
    for (const key of Object.keys(row)) {
      if (!names.has(key) && row[key] !== undefined) {
        throw new DataError(`${where} row ${i + 1}: field "${key}" is not in the dataset's schema (${[...names].join(', ') || 'no columns'})`);
      }
    }
  });
}

/** Encodes rows as an Avro container; `where` names the part in errors. */
export async function encodePart(rows: readonly Row[], schema: readonly ColumnSchema[], where: string): Promise<Buffer> {
  checkFields(rows, schema, where);
  const columns = partColumns(rows, schema);
  const fields = fieldNames(columns);
  const json = columns.map(storesJsonText);
  const type = avroType(columns, fields);
  const options = { codec: PART_CODEC, blockSize: BLOCK_SIZE, writeHeader: 'always' as const, metadata: { [META_COLUMNS]: Buffer.from(JSON.stringify(columns)) } };
  const encoder = new avro.streams.BlockEncoder(type, options as Partial<avro.EncoderOptions>);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('error', reject);
    encoder.on('end', () => resolve(Buffer.concat(chunks)));
  });
  rows.forEach((row, i) => {
    const record: Record<string, unknown> = {};
    columns.forEach((c, j) => {
      const v = row[c.name];
      record[fields[j]!] = v === null || v === undefined ? null : json[j] ? toJsonText(v, () => `${where} row ${i + 1} field "${c.name}"`) : v;
    });
    encoder.write(record);
  });
  encoder.end();
  return done;
}

/** Decodes a part written by encodePart back into rows keyed by the original column names. */
export async function decodePart(buf: Buffer, where: string): Promise<Row[]> {
  const decoder = new avro.streams.BlockDecoder({
    parseHook: (schema) => avro.Type.forSchema(schema, { registry: { long: bigintLong }, wrapUnions: 'never' }),
  });
  let columns: PartColumn[] | null = null;
  let fields: string[] = [];
  let json: boolean[] = [];
  const rows: Row[] = [];
  return new Promise<Row[]>((resolve, reject) => {
    decoder.on('metadata', (type: avro.Type, _codec: string, header: { meta: Record<string, Buffer> }) => {
      const recordFields = (type as avro.Type & { fields: { name: string }[] }).fields.map((f) => f.name);
      const meta = header.meta[META_COLUMNS];
      columns = meta ? (JSON.parse(meta.toString()) as PartColumn[]) : recordFields.map((name) => ({ name, type: 'text', encoding: 'typed' }));
      fields = recordFields;
      json = columns.map(storesJsonText);
    });
    decoder.on('data', (record: Record<string, unknown>) => {
      const row: Row = {};
      columns!.forEach((c, j) => {
        const v = record[fields[j]!];
        row[c.name] = v === null || v === undefined ? null : json[j] ? fromJsonText(v as string) : v;
      });
      rows.push(row);
    });
    decoder.on('error', (err: Error) => reject(new Error(`${where} is not a readable dataset part: ${err.message}`)));
    decoder.on('end', () => resolve(rows));
    decoder.end(buf);
  });
}
