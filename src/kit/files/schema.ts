// Config fields shared by the file connectors.
import { z } from 'zod';

export const pathSchema = z.string().refine((s) => s.trim() !== '', 'must not be empty');

/** Sources: `auto` reads a file through gunzip when it starts with the gzip magic bytes. */
export const sourceGzipSchema = z.union([z.literal('auto'), z.boolean()]).default('auto');

/** Sinks: compress each part file (`.gz` is added to its name). */
export const sinkGzipSchema = z.boolean().default(false);

/** A single ASCII character other than a line break: the tokenizer works on bytes. */
export const asciiCharSchema = z.string().regex(/^[\t\x20-\x7e]$/, 'expected a single ASCII character (not a line break)');

export function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
