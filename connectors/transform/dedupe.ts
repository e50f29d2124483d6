// transform.dedupe: keeps the first row of each key across the whole dataset, not just within a part.
// Seen keys are 128-bit digests (see key-set.ts); a resumed execution rebuilds them from the parts it
// already wrote (`restore`), so a pause or retry between parts neither loses nor repeats a key.
// Keys compare by their JSON values: 1 and "1" are different keys, null equals null.
import type { ColumnSchema, PreparedTransform, Row } from '../../src/kit/index.js';
import { requireField } from './fields.js';
import { DigestSet, keyDigest } from './key-set.js';
import type { TransformDedupeConfig } from './schema.js';

export function prepareDedupe(config: TransformDedupeConfig, input: ColumnSchema[]): PreparedTransform {
  config.key.forEach((field, i) => requireField(field, input, `config.key[${i}]`));
  const key = config.key;
  const seen = new DigestSet();
  const digest = (row: Row): Uint32Array => keyDigest(JSON.stringify(key.map((k) => row[k] ?? null)));
  return {
    schema: input,
    apply(rows) {
      return { rows: rows.filter((row) => seen.add(digest(row))), bad: [] };
    },
    restore(output) {
      for (const row of output) seen.add(digest(row));
    },
  };
}
