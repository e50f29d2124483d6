// A streaming CSV tokenizer (RFC 4180) over bytes rather than text, so every record comes with the
// exact byte offset after it: the resume cursor. Delimiter and quote are single ASCII bytes, which
// never occur inside a multi-byte UTF-8 character, so scanning bytes is safe for any UTF-8 input.
//
// Fields may be quoted; a quote inside a quoted field is doubled; quoted fields may hold
// delimiters and line breaks. Lines end with LF, CRLF or a lone CR. A quote inside an unquoted
// field is kept as a literal character (as Python and spreadsheets do). Blank lines are skipped.
// A record that breaks the rules (text after a closing quote, a quote never closed) is returned
// with `error` set, and tokenizing picks up again at the next line.
import { DataError } from '../../src/kit/index.js';
import type { Position } from '../../src/kit/files/source.js';

export interface CsvField {
  value: string;
  /** Written in quotes: an empty quoted field is an empty string, an empty unquoted one is null. */
  quoted: boolean;
}

export interface CsvDialect {
  delimiter: string;
  quote: string;
}

/** A record longer than this is refused: it almost always means a quote left open. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export class CsvRecord {
  /** Why the record is malformed. */
  error?: string;

  constructor(
    readonly fields: CsvField[],
    /** 1-based line where the record starts. */
    readonly line: number,
    /** Offset right after the record and its line ending, and lines up to there. */
    readonly end: Position,
    private readonly parts: Buffer[],
    private readonly chunk: Buffer,
    private readonly from: number,
    private readonly to: number,
  ) {}

  /** The record as written in the file, without its line ending (built only when asked for). */
  text(): string {
    const last = this.chunk.subarray(this.from, this.to);
    const s = (this.parts.length === 0 ? last : Buffer.concat([...this.parts, last])).toString('utf8');
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  }
}

const enum State {
  /** Between records (also: skipping blank lines). */
  RecordStart,
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field was the last byte of a chunk: doubled or closing, the next byte says. */
  QuoteAtChunkEnd,
  /** After a closing quote: a delimiter or a line ending must follow. */
  AfterQuote,
  /** The record is malformed: skip to the end of the line. */
  SkipLine,
}

export class CsvTokenizer {
  private readonly d: number;
  private readonly q: number;
  private state = State.RecordStart;
  private byte: number;
  private line: number;
  private fields: CsvField[] = [];
  /** Bytes of the current field taken from earlier chunks (or before a doubled quote). */
  private pieces: Buffer[] = [];
  /** Bytes of the current record taken from earlier chunks (for text()). */
  private raw: Buffer[] = [];
  /** Value of a quoted field whose closing quote was seen. */
  private closed = '';
  private recordStart = 0;
  private recordLine = 0;
  private error: string | undefined;

  constructor(dialect: CsvDialect, start: Position, private readonly maxRecordBytes = MAX_RECORD_BYTES) {
    this.d = dialect.delimiter.charCodeAt(0);
    this.q = dialect.quote.charCodeAt(0);
    this.byte = start.byte;
    this.line = start.line;
  }

  /** Records completed by `chunk`. */
  push(chunk: Buffer): CsvRecord[] {
    const { d, q } = this;
    const n = chunk.length;
    const base = this.byte;
    const out: CsvRecord[] = [];
    let state = this.state;
    let i = 0;
    let seg = 0; // start in this chunk of the current field's bytes not yet in `pieces`
    let rec = 0; // start in this chunk of the current record
    // Ends the record at line-ending byte `j`; a CR's LF (of CRLF) is then skipped as a blank line.
    const endRecord = (j: number): void => {
      if (chunk[j] === LF) this.line += 1;
      out.push(this.finish(chunk, rec, j, base + j + 1));
      state = State.RecordStart;
    };
    while (i < n) {
      switch (state) {
        case State.RecordStart: {
          const c = chunk[i]!;
          if (c === LF) this.line += 1;
          else if (c !== CR) {
            this.recordStart = base + i;
            this.recordLine = this.line + 1;
            rec = i;
            state = State.FieldStart;
            continue;
          }
          i++;
          break;
        }
        case State.FieldStart: {
          const c = chunk[i]!;
          if (c === q) {
            state = State.Quoted;
            seg = ++i;
          } else if (c === d) {
            this.fields.push({ value: '', quoted: false });
            i++;
          } else if (c === LF || c === CR) {
            this.fields.push({ value: '', quoted: false });
            endRecord(i++);
          } else {
            state = State.Unquoted;
            seg = i;
          }
          break;
        }
        case State.Unquoted: {
          let j = i;
          while (j < n) {
            const c = chunk[j]!;
            if (c === d || c === LF || c === CR) break;
            j++;
          }
          i = j;
          if (j === n) break;
          this.fields.push({ value: this.take(chunk, seg, j), quoted: false });
          if (chunk[j] === d) state = State.FieldStart;
          else endRecord(j);
          i = j + 1;
          break;
        }
        case State.Quoted: {
          let j = i;
          while (j < n) {
            const c = chunk[j]!;
            if (c === q) break;
            if (c === LF) this.line += 1;
            j++;
          }
          i = j;
          if (j === n) break;
          if (j + 1 === n) {
            this.pieces.push(chunk.subarray(seg, j));
            state = State.QuoteAtChunkEnd;
            i = n;
          } else if (chunk[j + 1] === q) {
            // A doubled quote: keep one, the field goes on.
            this.pieces.push(chunk.subarray(seg, j + 1));
            seg = i = j + 2;
          } else {
            this.closed = this.take(chunk, seg, j);
            state = State.AfterQuote;
            i = j + 1;
          }
          break;
        }
        case State.QuoteAtChunkEnd:
          if (chunk[i] === q) {
            seg = i + 1;
            this.pieces.push(chunk.subarray(i, i + 1));
            state = State.Quoted;
            i++;
          } else {
            this.closed = this.take(EMPTY, 0, 0);
            state = State.AfterQuote;
          }
          break;
        case State.AfterQuote: {
          const c = chunk[i]!;
          if (c === d || c === LF || c === CR) {
            this.fields.push({ value: this.closed, quoted: true });
            if (c === d) state = State.FieldStart;
            else endRecord(i);
          } else {
            this.error = `unexpected ${JSON.stringify(String.fromCharCode(c))} after the closing quote of field ${this.fields.length + 1}`;
            state = State.SkipLine;
          }
          i++;
          break;
        }
        case State.SkipLine: {
          const j = chunk.indexOf(LF, i);
          if (j < 0) {
            i = n;
            break;
          }
          endRecord(j);
          i = j + 1;
          break;
        }
      }
    }
    // Carry the unfinished field and record over to the next chunk.
    if (state === State.Unquoted || state === State.Quoted) this.pieces.push(chunk.subarray(seg));
    this.state = state;
    if (state !== State.RecordStart) {
      this.raw.push(chunk.subarray(rec));
      const length = base + n - this.recordStart;
      if (length > this.maxRecordBytes) {
        throw new DataError(`line ${this.recordLine}: a record longer than ${this.maxRecordBytes} bytes; is a quote left open?`);
      }
    }
    this.byte = base + n;
    return out;
  }

  /** The last record, when the content does not end with a line ending. */
  end(): CsvRecord[] {
    switch (this.state) {
      case State.RecordStart:
        return [];
      case State.Quoted:
        this.error = `a quote opened in field ${this.fields.length + 1} is never closed`;
        break;
      case State.FieldStart:
        this.fields.push({ value: '', quoted: false });
        break;
      case State.Unquoted:
        this.fields.push({ value: this.take(EMPTY, 0, 0), quoted: false });
        break;
      case State.QuoteAtChunkEnd:
        this.fields.push({ value: this.take(EMPTY, 0, 0), quoted: true });
        break;
      case State.AfterQuote:
        this.fields.push({ value: this.closed, quoted: true });
        break;
      case State.SkipLine:
        break;
    }
    return [this.finish(EMPTY, 0, 0, this.byte)];
  }

  /** The current field's text: earlier pieces plus `chunk[from, to)`. */
  private take(chunk: Buffer, from: number, to: number): string {
    if (this.pieces.length === 0) return chunk.toString('utf8', from, to);
    if (to > from) this.pieces.push(chunk.subarray(from, to));
    const value = Buffer.concat(this.pieces).toString('utf8');
    this.pieces = [];
    return value;
  }

  private finish(chunk: Buffer, rec: number, to: number, endByte: number): CsvRecord {
    const record = new CsvRecord(this.fields, this.recordLine, { byte: endByte, line: this.line }, this.raw, chunk, rec, to);
    if (this.error !== undefined) record.error = this.error;
    this.fields = [];
    this.pieces = [];
    this.raw = [];
    this.error = undefined;
    this.state = State.RecordStart;
    return record;
  }
}
