// Text forms of dataset values shared by the sinks that write text (csv, jsonl, s3, Postgres COPY).
// Null is an empty CSV field and an empty string is "", PostgreSQL's CSV convention, so what one
// writes the others and PostgreSQL read back the same.

/** JSON has no bigint; a JavaScript bigint is written as its decimal string. */
export const bigintReplacer = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/**
 * One CSV field. Quoted when it holds the delimiter, a quote or a line break, or is empty text;
 * `quoteAll` quotes every non-null value (COPY would otherwise read a lone `\.` as end of data).
 */
export function csvField(value: unknown, delimiter = ',', quoteAll = false): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'object' ? JSON.stringify(value, bigintReplacer) : String(value);
  if (quoteAll || s === '' || s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r')) return `"${s.replace(/"/g, '""')}"`;
  return s;
}
