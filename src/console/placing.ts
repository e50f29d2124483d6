// Pure helpers of the spec editor and the versions diff (no DOM, no React): where the API's errors
// are in the text that was sent, and a line diff of two texts. Unit-tested under Node
// (test/unit/console-editor.test.ts).
import { Text } from '@codemirror/state';
import { diffLines } from 'diff';
import { locatePath } from '../dag/locate.js';

/** An error of the API's answer, with where it is in the text as it was sent (null: not found). */
export interface PlacedError {
  path: string;
  message: string;
  from: number | null;
  to: number | null;
  line: number | null;
}

/**
 * The API's errors, placed in the text they were about: a 400's by the `line:col` that starts its
 * message (the parser's), a 422's by its path (locatePath: the key of a map entry, the item of a
 * list; the nearest ancestor found when the path names something missing, unless that is only the
 * whole document: then it is not placed).
 */
export function placeErrors(text: string, status: number, errors: { path: string; message: string }[]): PlacedError[] {
  const doc = Text.of(text.split('\n'));
  return errors.map((e) => {
    const at = /^(\d+):(\d+): /.exec(e.message);
    if (status === 400 && at) {
      const lineNo = Math.min(Math.max(1, Number(at[1])), doc.lines);
      const line = doc.line(lineNo);
      const from = Math.min(line.from + Number(at[2]) - 1, line.to);
      return { path: e.path, message: e.message.slice(at[0].length), from, to: Math.max(from, line.to), line: lineNo };
    }
    const span = e.path && e.path !== 'body' && e.path !== '(root)' ? locatePath(text, e.path) : null;
    // Only the document itself found: the path is not in the text.
    const whole = span && !span.exact ? locatePath(text, '') : null;
    const found = span && !(whole && whole.from === span.from && whole.to === span.to);
    return span && found ? { path: e.path, message: e.message, from: span.from, to: span.to, line: span.line } : { path: e.path, message: e.message, from: null, to: null, line: null };
  });
}

export interface DiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

/** The lines of `before` and `after`, each marked added, removed or the same. */
export function lineDiff(before: string, after: string): DiffLine[] {
  return diffLines(before, after).flatMap((part) => {
    const kind: DiffLine['kind'] = part.added ? 'added' : part.removed ? 'removed' : 'same';
    return part.value
      .replace(/\n$/, '')
      .split('\n')
      .map((text) => ({ kind, text }));
  });
}
