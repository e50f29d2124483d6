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

/**
 * One value as JSON. JSON cannot hold every dataset value exactly, so the rule for what it cannot:
 * bigints (a bigint column's decimal text, or a JavaScript bigint) are decimal strings, which every
 * JSON reader keeps exact (past 2^53 a JSON number loses digits, and jsonl.read refuses it);
 * NaN and ±Infinity are strings, as PostgreSQL's to_json writes them.
 */
export function jsonValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number' && !Number.isFinite(value)) return `"${value}"`;
  return JSON.stringify(value, bigintReplacer);
}

/** One row as a JSON object with the schema's columns in order: the JSON-lines form every sink writes. */
export function jsonLine(row: Readonly<Record<string, unknown>>, schema: readonly { name: string }[]): string {
  let out = '{';
  for (let i = 0; i < schema.length; i++) {
    const name = schema[i]!.name;
    out += (i > 0 ? ',' : '') + JSON.stringify(name) + ':' + jsonValue(row[name]);
  }
  return out + '}';
}
