// Splits a byte stream into lines, keeping each line's number and the exact offset after it. A
// line longer than MAX_LINE_BYTES is not held in memory: it is reported (with a short preview)
// and skipped up to its line ending.
import type { Position } from './source.js';

export const MAX_LINE_BYTES = 16 * 1024 * 1024;
const PREVIEW_BYTES = 1024;
const LF = 0x0a;
const CR = 0x0d;

export interface Line {
  /** The line's text without its line ending (or the first bytes of it, when tooLong). */
  text: string;
  /** 1-based line number. */
  line: number;
  /** Offset right after the line ending, and lines up to there. */
  end: Position;
  /** Set when the line was longer than MAX_LINE_BYTES: its length in bytes. */
  tooLong?: number;
}

export class LineSplitter {
  private pieces: Buffer[] = [];
  private pending = 0;
  private byte: number;
  private line: number;

  constructor(start: Position, private readonly maxLineBytes = MAX_LINE_BYTES) {
    this.byte = start.byte;
    this.line = start.line;
  }

  /** Lines completed by `chunk`. */
  *push(chunk: Buffer): Generator<Line> {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, from);
      if (nl < 0) {
        this.hold(chunk.subarray(from));
        return;
      }
      this.hold(chunk.subarray(from, nl));
      yield this.take(1);
      from = nl + 1;
    }
  }

  /** The last line, when the content does not end with a line ending. */
  *end(): Generator<Line> {
    if (this.pending > 0) yield this.take(0);
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return;
    // Past the limit only the count grows; the preview stays.
    if (this.pending <= this.maxLineBytes) this.pieces.push(part);
    this.pending += part.length;
    if (this.pending > this.maxLineBytes && this.pieces.length > 1) this.pieces = [this.preview()];
  }

  /** The first bytes of an overlong line, the same however the line arrived. */
  private preview(): Buffer {
    return Buffer.concat(this.pieces).subarray(0, Math.min(PREVIEW_BYTES, this.maxLineBytes));
  }

  /** Completes the held line; `ending` is the line-ending bytes consumed with it (0 at end of input). */
  private take(ending: number): Line {
    const length = this.pending;
    let buf = length > this.maxLineBytes ? this.preview() : this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    if (length <= this.maxLineBytes && buf.length > 0 && buf[buf.length - 1] === CR) buf = buf.subarray(0, buf.length - 1);
    this.byte += length + ending;
    if (ending > 0) this.line += 1;
    const out: Line = { text: buf.toString('utf8'), line: this.line + (ending > 0 ? 0 : 1), end: { byte: this.byte, line: this.line } };
    if (length > this.maxLineBytes) out.tooLong = length;
    this.pieces = [];
    this.pending = 0;
    return out;
  }
}
