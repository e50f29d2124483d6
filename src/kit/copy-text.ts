// PostgreSQL COPY text format as a dataset part format. A Postgres source stages the bytes its
// `COPY ... TO STDOUT` sends, untouched, and a Postgres sink loads them with `COPY ... FROM STDIN`:
// no row objects between the two, which is what makes table-to-table moves fast. Every other
// consumer decodes a part into rows here, getting the same values the row-by-row reader hands
// over (see connectors/postgres/types.ts), so the format is invisible to connectors.
//
// The format: one row per line ending in \n, fields separated by \t, NULL as \N, and inside a
// field a backslash escapes \\, \b, \f, \n, \r, \t, \v, octal \ooo and hex \xhh. A raw newline
// byte only ever ends a row, so rows are counted and cut without parsing fields.
import type { ColumnSchema, Row } from './dataset.js';
import { columnCodec, fromJsonText, toJsonText } from './columns.js';

const NL = 0x0a;
const TAB = 0x09;

/** Number of rows (newline-terminated lines) in a COPY text buffer. */
export function countRows(buf: Buffer): number {
  let n = 0;
  for (let at = buf.indexOf(NL); at !== -1; at = buf.indexOf(NL, at + 1)) n++;
  return n;
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** The text of one field with its backslash escapes resolved. */
export function unescapeField(field: string): string {
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== '\\' || i === field.length - 1) {
      out += c;
      continue;
    }
    const next = field[++i]!;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
    } else if (next >= '0' && next <= '7') {
      const m = /^[0-7]{1,3}/.exec(field.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8));
      i += m.length - 1;
    } else if (next === 'x' && /^[0-9A-Fa-f]/.test(field[i + 1] ?? '')) {
      const m = /^[0-9A-Fa-f]{1,2}/.exec(field.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(m, 16));
      i += m.length;
    } else {
      // Any other escaped character stands for itself (this covers \\).
      out += next;
    }
  }
  return out;
}

type Decoder = (text: string) => unknown;

const asText: Decoder = (s) => s;
const DECODERS: Record<string, Decoder> = {
  boolean: (s) => s === 't',
  int: (s) => parseInt(s, 10),
  float: (s) => parseFloat(s),
  // PostgreSQL's JSON text, or what encodeCopyText wrote for values JSON has no words for (NaN, bigint).
  json: fromJsonText,
  // bigint and numeric stay decimal strings, timestamps and dates PostgreSQL's own text.
  bigint: asText,
  numeric: asText,
  timestamp: asText,
  date: asText,
  text: asText,
};

/** Decodes one line (without its newline) into a row of `schema`'s columns. */
export function decodeLine(line: string, schema: readonly ColumnSchema[], decoders = schema.map((c) => DECODERS[c.type] ?? asText), where = 'row'): Row {
  const fields = line.split('\t');
  if (fields.length !== schema.length) {
    throw new Error(`${where}: COPY text row has ${fields.length} field(s), the dataset's schema ${schema.length}`);
  }
  const row: Row = {};
  for (let i = 0; i < schema.length; i++) {
    const f = fields[i]!;
    row[schema[i]!.name] = f === '\\N' ? null : decoders[i]!(unescapeField(f));
  }
  return row;
}

/** Decodes a COPY text part into rows. `where` names the part in errors. */
export function decodeCopyText(buf: Buffer, schema: readonly ColumnSchema[], where: string): Row[] {
  const decoders = schema.map((c) => DECODERS[c.type] ?? asText);
  const text = buf.toString('utf8');
  const rows: Row[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    rows.push(decodeLine(text.slice(start, nl), schema, decoders, `${where} row ${rows.length + 1}`));
    start = nl + 1;
  }
  if (start !== text.length) throw new Error(`${where}: COPY text ends in the middle of a row`);
  return rows;
}

/** Logical column types a COPY text part can hold (every value of them decodes back identical). */
const ENCODABLE = new Set(['text', 'int', 'bigint', 'float', 'numeric', 'boolean', 'timestamp', 'date', 'json']);

export function copyEncodable(schema: readonly ColumnSchema[]): boolean {
  return schema.every((c) => ENCODABLE.has(c.type));
}

const ESCAPE = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const NEEDS_ESCAPE = /[\\\n\r\t]/;

function escapeField(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE, (c) => ESCAPES[c]!) : text;
}

/** JSON text of a json column's value: plain JSON.stringify when it can say it, else toJsonText (NaN, bigint). */
function jsonField(v: unknown, where: () => string): string {
  if (typeof v !== 'number' || Number.isFinite(v)) {
    try {
      const text = JSON.stringify(v) as string | undefined;
      if (text !== undefined) return text;
    } catch {
      // a bigint somewhere inside: toJsonText spells it
    }
  }
  return toJsonText(v, where);
}

type Fits = (v: unknown) => boolean;

/** One value as COPY text of a column of `type`; `fits` is that type's Avro codec test. */
function encodeValue(v: unknown, type: string, fits: Fits, where: () => string): string {
  if (v === null || v === undefined) return '\\N';
  if (type === 'json') return escapeField(jsonField(v, where));
  if (!fits(v)) throw new Error(`${where()} holds a ${typeof v} that its ${type} column cannot hold as COPY text`);
  if (typeof v === 'string') return escapeField(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * Encodes rows as COPY text, the inverse of decodeCopyText. Every value must fit its column's
 * type as the Avro codecs define it (a transform of COPY text input only produces such values);
 * one that does not is an error rather than a value changed on the way.
 */
export function encodeCopyText(rows: readonly Row[], schema: readonly ColumnSchema[], where: string): Buffer {
  const columns = schema.map((c) => ({ name: c.name, type: c.type, fits: columnCodec(c.type).fits }));
  let out = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j]!;
      if (j > 0) out += '\t';
      out += encodeValue(row[c.name], c.type, c.fits, () => `${where} row ${i + 1}: field "${c.name}"`);
    }
    out += '\n';
  }
  return Buffer.from(out, 'utf8');
}

/** An output column of mapCopyText: input field `from`, as its text is or through `cast`. */
export interface FieldStep {
  from: number;
  cast?: (value: unknown) => unknown;
}

/**
 * Rewrites COPY text field by field: each output field is an input field's text as it is, or
 * decoded, cast and encoded again; untouched fields are never parsed. A row whose cast throws
 * a DataError-like error (`isBad`) is left out and returned, decoded whole, as bad.
 */
export function mapCopyText(
  buf: Buffer,
  input: readonly ColumnSchema[],
  output: readonly ColumnSchema[],
  steps: readonly FieldStep[],
  where: string,
  isBad: (err: unknown) => boolean,
): { data: Buffer; rowsIn: number; rowsOut: number; bad: { row: Row; line: number; reason: string }[] } {
  // Runs of output fields that are consecutive input fields, unchanged, are copied as one slice
  // (tabs included); each cast field is decoded, cast and encoded on its own.
  type Segment = { first: number; last: number; cast?: undefined } | { field: number; cast: (v: unknown) => unknown; decode: Decoder; type: string; fits: Fits; name: string };
  const segments: Segment[] = [];
  steps.forEach((step, i) => {
    const prev = segments[segments.length - 1];
    if (step.cast !== undefined) {
      const type = output[i]!.type;
      segments.push({ field: step.from, cast: step.cast, decode: DECODERS[input[step.from]!.type] ?? asText, type, fits: columnCodec(type).fits, name: output[i]!.name });
    } else if (prev !== undefined && prev.cast === undefined && prev.last === step.from - 1) {
      prev.last = step.from;
    } else {
      segments.push({ first: step.from, last: step.from });
    }
  });
  const n = input.length;
  // Byte offsets in `buf` (a tab or newline byte never occurs inside a UTF-8 character):
  // starts[k] is where field k begins, ends[k] where it ends (its tab or the row's newline).
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let out = Buffer.allocUnsafe(Math.max(1024, Math.ceil(buf.length * 1.25)));
  let o = 0;
  const room = (bytes: number) => {
    if (o + bytes <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, o + bytes));
    out.copy(bigger, 0, 0, o);
    out = bigger;
  };
  const bad: { row: Row; line: number; reason: string }[] = [];
  let start = 0;
  let line = 0;
  let rowsOut = 0;
  for (let nl = buf.indexOf(NL); nl !== -1; nl = buf.indexOf(NL, start)) {
    line++;
    let at = start;
    for (let k = 0; k < n; k++) {
      starts[k] = at;
      const tab = k < n - 1 ? buf.indexOf(TAB, at) : -1;
      if (k < n - 1 && (tab === -1 || tab > nl)) throw new Error(`${where} row ${line}: COPY text row has ${k + 1} field(s), the dataset's schema ${n}`);
      ends[k] = k < n - 1 ? tab : nl;
      at = ends[k]! + 1;
    }
    const extra = buf.indexOf(TAB, starts[n - 1]);
    if (extra !== -1 && extra < nl) throw new Error(`${where} row ${line}: COPY text row has more fields than the dataset's schema (${n})`);
    const rowStart = o;
    try {
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i]!;
        if (i > 0) {
          room(1);
          out[o++] = TAB;
        }
        if (seg.cast === undefined) {
          const from = starts[seg.first]!;
          const to = ends[seg.last]!;
          room(to - from);
          o += buf.copy(out, o, from, to);
          continue;
        }
        const f = buf.toString('utf8', starts[seg.field], ends[seg.field]);
        const text = f === '\\N' ? f : encodeValue(seg.cast(seg.decode(unescapeField(f))), seg.type, seg.fits, () => `${where} row ${line}: field "${seg.name}"`);
        room(Buffer.byteLength(text));
        o += out.write(text, o);
      }
    } catch (err) {
      if (!isBad(err)) throw err;
      bad.push({ row: decodeLine(buf.toString('utf8', start, nl), input, undefined, `${where} row ${line}`), line, reason: (err as Error).message });
      o = rowStart;
      start = nl + 1;
      continue;
    }
    room(1);
    out[o++] = NL;
    rowsOut++;
    start = nl + 1;
  }
  if (start !== buf.length) throw new Error(`${where}: COPY text ends in the middle of a row`);
  return { data: out.subarray(0, o), rowsIn: line, rowsOut, bad };
}

/** The last row of a non-empty COPY text buffer, decoded. */
export function decodeLastRow(buf: Buffer, schema: readonly ColumnSchema[]): Row {
  const end = buf.length - 1;
  const start = buf.lastIndexOf(NL, end - 1) + 1;
  return decodeLine(buf.toString('utf8', start, end), schema);
}

/**
 * Cuts a stream of COPY text chunks (which break anywhere, even inside a row) into batches of
 * exactly `size` rows, the last one possibly shorter. Holds at most one batch.
 */
export class CopyBatcher {
  private pending: Buffer[] = [];
  private pendingRows = 0;

  constructor(private readonly size: number) {}

  /** Adds a chunk; returns the batches it completed. */
  push(chunk: Buffer): { data: Buffer; rows: number }[] {
    const done: { data: Buffer; rows: number }[] = [];
    let start = 0;
    for (;;) {
      let at = start;
      let found = 0;
      const need = this.size - this.pendingRows;
      while (found < need) {
        const nl = chunk.indexOf(NL, at);
        if (nl === -1) break;
        at = nl + 1;
        found++;
      }
      if (found < need) {
        if (start < chunk.length) this.pending.push(chunk.subarray(start));
        this.pendingRows += found;
        return done;
      }
      this.pending.push(chunk.subarray(start, at));
      done.push({ data: Buffer.concat(this.pending), rows: this.size });
      this.pending = [];
      this.pendingRows = 0;
      start = at;
    }
  }

  /** The rows after the last full batch, if any. */
  flush(): { data: Buffer; rows: number } | null {
    const data = Buffer.concat(this.pending);
    this.pending = [];
    if (data.length > 0 && data[data.length - 1] !== NL) throw new Error('COPY output ended in the middle of a row');
    const rows = this.pendingRows;
    this.pendingRows = 0;
    return rows > 0 ? { data, rows } : null;
  }
}
