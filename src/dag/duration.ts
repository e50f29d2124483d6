import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

const HINT = 'use a number of milliseconds or a string like 500ms, 30s, 10m, 2h';

/** Milliseconds of a duration given as integer ms or a string like `500ms`, `1.5s`, `10m`, `2h`, `1d`; throws otherwise. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new Error(`invalid duration ${v}: ${HINT}`);
  }
  const match = DURATION.exec(v);
  const amount = match?.[1];
  const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
  if (amount === undefined || unit === undefined) throw new Error(`invalid duration ${JSON.stringify(v)}: ${HINT}`);
  // Rounded because Temporal and timers work in whole milliseconds; 1.5s must still be exact.
  const ms = Math.round(Number(amount) * UNIT_MS[unit]);
  if (!Number.isSafeInteger(ms)) throw new Error(`invalid duration ${JSON.stringify(v)}: too long`);
  return ms;
}

/** A duration as written in a spec (number of ms or a unit string), normalised to milliseconds. */
export const durationSchema = z
  // The pattern and the integer bound also reach JSON Schema consumers (editors); one message covers every failure.
  .union([z.number({ error: durationError }).int().min(0), z.string().regex(DURATION, { error: durationError })], {
    error: durationError,
  })
  .transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (err) {
      ctx.issues.push({ code: 'custom', input: v, message: (err as Error).message });
      return z.NEVER;
    }
  });

function durationError(iss: { input?: unknown }): string {
  return iss.input === undefined ? 'required' : `invalid duration ${JSON.stringify(iss.input)}: ${HINT}`;
}
