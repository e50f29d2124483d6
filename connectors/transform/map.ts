// transform.map: renames, drops and casts fields, one input part to one output part, so a
// resumed or retried execution continues at the next part and rewrites nothing already staged.
import type { BadRecord, PreparedTransform } from '../../src/activities/connector.js';
import { DataError } from '../../src/activities/errors.js';
import type { ColumnSchema, Row } from '../../src/activities/staging.js';
import type { TransformMapConfig } from './schema.js';

type CastType = NonNullable<TransformMapConfig['cast']>[string];

function castValue(value: unknown, to: CastType, where: () => string): unknown {
  if (value === null || value === undefined) return null;
  const fail = (): never => {
    throw new DataError(`${where()}: cannot cast ${JSON.stringify(value)} to ${to}`);
  };
  switch (to) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'int': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (!Number.isInteger(n) || Math.abs(n) > 2147483647) fail();
      return n;
    }
    case 'bigint': {
      const s = String(value).trim();
      if (!/^-?\d+$/.test(s)) fail();
      return s;
    }
    case 'float': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (String(value).trim() === '' || Number.isNaN(n)) fail();
      return n;
    }
    case 'numeric': {
      const s = String(value).trim();
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) fail();
      return s;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const s = String(value).trim().toLowerCase();
      if (['true', 't', '1', 'yes', 'y'].includes(s)) return true;
      if (['false', 'f', '0', 'no', 'n'].includes(s)) return false;
      return fail();
    }
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return fail();
      }
    case 'timestamp': {
      const d = new Date(value as string | number);
      if (Number.isNaN(d.getTime())) fail();
      return d.toISOString();
    }
  }
}

const CAST_COLUMN_TYPE: Record<CastType, string> = {
  string: 'text', int: 'int', bigint: 'bigint', float: 'float', numeric: 'numeric', boolean: 'boolean', json: 'json', timestamp: 'timestamp',
};

/** The output schema: the input schema with the same renames, drops and casts applied. */
export function mapSchema(schema: readonly ColumnSchema[], config: TransformMapConfig): ColumnSchema[] {
  const drop = new Set(config.drop ?? []);
  return schema
    .filter((c) => !drop.has(c.name))
    .map((c) => {
      const cast = config.cast?.[c.name];
      return { name: config.rename?.[c.name] ?? c.name, type: cast ? CAST_COLUMN_TYPE[cast] : c.type };
    });
}

/** Applies the mapping to one row; casts use the source field names. */
export function mapRow(row: Row, config: TransformMapConfig, where: (field: string) => string): Row {
  const out: Row = {};
  const drop = config.drop;
  for (const [key, raw] of Object.entries(row)) {
    if (drop && drop.includes(key)) continue;
    const cast = config.cast?.[key];
    out[config.rename?.[key] ?? key] = cast ? castValue(raw, cast, () => where(key)) : raw;
  }
  return out;
}

/** transform.map as a prepared transform: rows whose casts fail become bad records. */
export function prepareMap(config: TransformMapConfig, input: ColumnSchema[]): PreparedTransform {
  return {
    schema: mapSchema(input, config),
    apply(rows, position) {
      const out: Row[] = [];
      const bad: BadRecord[] = [];
      rows.forEach((row, i) => {
        try {
          out.push(mapRow(row, config, (field) => `field "${field}"`));
        } catch (err) {
          if (!(err instanceof DataError)) throw err;
          bad.push({ reason: err.message, position: position(i), record: row });
        }
      });
      return { rows: out, bad };
    },
  };
}
