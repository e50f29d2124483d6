// Quoting what a client sent back in a message: never more than MAX_ECHO characters of it, so an
// error about a 60 KB string is a short line, not a copy of the string.
import { MAX_ECHO } from './limits.js';

/** `s` cut to `max` characters (without splitting a surrogate pair), marked with … when cut. */
export function clip(s: string, max = MAX_ECHO): string {
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}…`;
}

/** A value as JSON, clipped: `"abc…"`. */
export function quoted(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(clip(value)) : clip(String(JSON.stringify(value)));
}

// A double-quoted stretch of a message longer than MAX_ECHO (JSON escapes included).
const LONG_QUOTE = new RegExp(`"((?:[^"\\\\]|\\\\.){${MAX_ECHO + 1},})"`, 'gu');

/**
 * A message with every quoted value in it clipped, and the message itself at most a few echoes
 * long: the safety net under messages built elsewhere (connector checks) that quote input as-is.
 */
export function clipMessage(message: string, max = 4 * MAX_ECHO): string {
  return clip(message.replace(LONG_QUOTE, (_, inner: string) => `"${clip(inner)}"`), max);
}
