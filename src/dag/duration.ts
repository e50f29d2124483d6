// Durations as specs write them (`30s`, `10m`, integer ms), parsed to milliseconds and bounded.
import { z } from 'zod';
import { clip } from './echo.js';
import { MAX_DURATION_MS } from './limits.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

const HINT = 'use a number of milliseconds or a string like 500ms, 30s, 10m, 2h';

/** Milliseconds of a duration given as integer ms or a string like `500ms`, `1.5s`, `10m`, `2h`, `1d`; throws otherwise. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new Error(`invalid duration ${clip(String(v))}: ${HINT}`);
  }
  const match = DURATION.exec(v);
  const amount = match?.[1];
  const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
  if (amount === undefined || unit === undefined) throw new Error(`invalid duration ${JSON.stringify(clip(v))}: ${HINT}`);
  // Rounded because Temporal and timers work in whole milliseconds; 1.5s must still be exact.
  const ms = Math.round(Number(amount) * UNIT_MS[unit]);
  if (!Number.isSafeInteger(ms)) throw new Error(`invalid duration ${JSON.stringify(clip(v))}: too long`);
  return ms;
}

/** `ms` written the way people read it: `24d 20h 31m 23.647s`. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest / 1000}s`);
  return parts.join(' ');
}

/**
 * A duration as written (number of ms or a unit string), normalised to milliseconds and at most `maxMs`.
 * The pattern and the integer bound also reach JSON Schema consumers (editors); one message covers every failure.
 */
export function durationWithin(maxMs: number) {
  return z
    .union([z.number({ error: durationError(maxMs) }).int().min(0).max(maxMs), z.string().max(64).regex(DURATION, { error: durationError(maxMs) })], {
      error: durationError(maxMs),
    })
    .transform((v, ctx) => {
      try {
        const ms = parseDuration(v);
        if (ms <= maxMs) return ms;
        ctx.issues.push({ code: 'custom', input: v, message: `must be at most ${formatDuration(maxMs)} (${maxMs} ms)` });
      } catch (err) {
        ctx.issues.push({ code: 'custom', input: v, message: (err as Error).message });
      }
      return z.NEVER;
    });
}

/** A duration in a spec: at most MAX_DURATION_MS, the longest a timer can wait. */
export const durationSchema = durationWithin(MAX_DURATION_MS);

function durationError(maxMs: number) {
  return (iss: { input?: unknown }): string => {
    if (iss.input === undefined) return 'required';
    if (typeof iss.input === 'number' && iss.input > maxMs) return `must be at most ${formatDuration(maxMs)} (${maxMs} ms)`;
    return `invalid duration ${typeof iss.input === 'string' ? JSON.stringify(clip(iss.input)) : clip(String(JSON.stringify(iss.input)))}: ${HINT}`;
  };
}
