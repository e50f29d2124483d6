// Config that names input fields is checked against the input's columns when the node prepares:
// a typo fails the node at once (ConfigError) instead of quietly matching nothing in every row.
import { type ColumnSchema, ConfigError, didYouMean } from '../../src/kit/index.js';

/** Throws a ConfigError at `where` when `name` is not a column of `schema`. */
export function requireField(name: string, schema: readonly ColumnSchema[], where: string): void {
  if (schema.some((c) => c.name === name)) return;
  const names = schema.map((c) => c.name);
  throw new ConfigError(`${where}: no field "${name}" in the input${didYouMean(name, names)}; the input has: ${names.join(', ') || 'no fields'}`);
}
