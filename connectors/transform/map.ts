// transform.map: per row, in this order: cast input fields, compute new fields (CEL expressions over
// the cast row; computed fields do not see each other), then rename and drop, both of which name
// fields before renaming and apply to computed fields too. A row whose cast or expression fails is
// a bad record.
import { type BadRecord, type ColumnSchema, type ColumnStep, type ColumnType, ConfigError, DataError, type PreparedTransform, type Row } from '../../src/kit/index.js';
import { castValue, CAST_COLUMN_TYPE, type CastType } from './cast.js';
import { columnTypeOf, fromCel } from './cel-values.js';
import { compileExpression, type RowExpression } from './expr.js';
import type { TransformMapConfig } from './schema.js';

interface Computed {
  name: string;
  expr: RowExpression;
  /** The cast applied to the result so it matches its column type; null keeps the JSON value. */
  cast: CastType | null;
  type: ColumnType;
}

// Only inferred types the result already has without a cast: a CEL int may exceed a JSON number, so it is kept as bigint text.
const INFERRED_CAST: Record<string, CastType | null> = { bigint: 'bigint', float: 'float', boolean: 'boolean', timestamp: 'timestamp', json: null, text: 'string' };

function compileComputed(config: TransformMapConfig, castSchema: readonly ColumnSchema[]): Computed[] {
  return Object.entries(config.compute ?? {}).map(([name, def]) => {
    const source = typeof def === 'string' ? def : def.expr;
    const where = typeof def === 'string' ? `config.compute.${name}` : `config.compute.${name}.expr`;
    const expr = compileExpression(source, castSchema, where);
    const declared = typeof def === 'string' ? undefined : def.type;
    if (declared) return { name, expr, cast: declared, type: CAST_COLUMN_TYPE[declared] };
    const type = columnTypeOf(expr.type);
    return { name, expr, cast: INFERRED_CAST[type] ?? 'string', type };
  });
}

interface OutputColumn extends ColumnSchema {
  /** Its name before renaming: the input or computed field it holds. */
  from: string;
}

function outputColumns(schema: readonly ColumnSchema[], config: TransformMapConfig, computed: readonly Computed[]): OutputColumn[] {
  const cast = schema.map((c) => {
    const to = config.cast?.[c.name];
    return { name: c.name, type: to ? CAST_COLUMN_TYPE[to] : c.type };
  });
  for (const f of computed) {
    const at = cast.findIndex((c) => c.name === f.name);
    if (at >= 0) cast[at] = { name: f.name, type: f.type };
    else cast.push({ name: f.name, type: f.type });
  }
  const drop = new Set(config.drop ?? []);
  return cast.filter((c) => !drop.has(c.name)).map((c) => ({ from: c.name, name: config.rename?.[c.name] ?? c.name, type: c.type }));
}

/** The output schema: casts, then computed fields (replacing same-named ones in place), then renames and drops. */
export function mapSchema(schema: readonly ColumnSchema[], config: TransformMapConfig, computed: readonly Computed[] = []): ColumnSchema[] {
  return outputColumns(schema, config, computed).map(({ name, type }) => ({ name, type }));
}

/** transform.map as a prepared transform: expressions compile once here, against the cast input schema. */
export function prepareMap(config: TransformMapConfig, input: ColumnSchema[]): PreparedTransform {
  const castSchema = mapSchema(input, { cast: config.cast });
  const computed = compileComputed(config, castSchema);
  const columns = outputColumns(input, config, computed);
  const twice = columns.find((c, i) => columns.findIndex((o) => o.name === c.name) !== i);
  if (twice) {
    const from = Object.keys(config.rename ?? {}).find((k) => config.rename?.[k] === twice.name);
    throw new ConfigError(`config.rename.${from ?? twice.from}: the output would have two fields named "${twice.name}"; drop or rename the other one`);
  }
  const casts = input.map((c) => ({ name: c.name, to: config.cast?.[c.name] ?? null }));
  const anyCast = casts.some((c) => c.to !== null);
  // Each output column, in order: the computed value it takes, or the (cast) input field it copies.
  const steps = columns.map((c) => ({ out: c.name, from: c.from, computed: computed.findIndex((f) => f.name === c.from) }));
  const values: unknown[] = new Array<unknown>(computed.length);

  // Rows are built key by key in one fixed order: V8 then shares one shape for all of them, while
  // adding keys to spread copies ({ ...row }) is many times slower.
  const castRow = (row: Row): Row => {
    if (!anyCast) return row;
    const out: Row = {};
    for (const { name, to } of casts) out[name] = to === null ? (row[name] ?? null) : castValue(row[name], to, () => `field "${name}"`);
    return out;
  };
  const mapRow = (row: Row): Row => {
    const cast = castRow(row);
    for (let i = 0; i < computed.length; i++) {
      const f = computed[i]!;
      const value = fromCelAt(f, cast);
      values[i] = f.cast === null ? value : castValue(value, f.cast, () => `computed field "${f.name}"`);
    }
    const out: Row = {};
    for (const step of steps) out[step.out] = step.computed >= 0 ? values[step.computed] : (cast[step.from] ?? null);
    return out;
  };

  return {
    schema: columns.map(({ name, type }) => ({ name, type })),
    ...columnSteps(input, config, computed, columns),
    apply(rows, position) {
      const out: Row[] = [];
      const bad: BadRecord[] = [];
      rows.forEach((row, i) => {
        try {
          out.push(mapRow(row));
        } catch (err) {
          if (!(err instanceof DataError)) throw err;
          bad.push({ reason: err.message, position: position(i), record: row });
        }
      });
      return { rows: out, bad };
    },
  };
}

/** Casts that leave every value of a column of that type as it is (a float NaN would fail, a json string would be parsed). */
const UNCHANGED_BY_CAST: Partial<Record<CastType, string>> = { string: 'text', int: 'int', bigint: 'bigint', numeric: 'numeric', boolean: 'boolean' };

/**
 * When every output column is one input column, as it is or cast on its own (no computed field,
 * no cast of a dropped column, whose failure would still reject the row): the steps, in output order.
 */
function columnSteps(input: readonly ColumnSchema[], config: TransformMapConfig, computed: readonly Computed[], columns: readonly OutputColumn[]): { columns?: ColumnStep[] } {
  if (computed.length > 0) return {};
  const kept = new Set(columns.map((c) => c.from));
  const changes = (c: ColumnSchema) => {
    const to = config.cast?.[c.name];
    return to !== undefined && UNCHANGED_BY_CAST[to] !== c.type ? to : null;
  };
  if (input.some((c) => !kept.has(c.name) && changes(c) !== null)) return {};
  return {
    columns: columns.map((c) => {
      const from = input.findIndex((i) => i.name === c.from);
      const to = changes(input[from]!);
      return to === null ? { from } : { from, cast: (v: unknown) => castValue(v, to, () => `field "${c.from}"`) };
    }),
  };
}

function fromCelAt(f: Computed, row: Row): unknown {
  const value = f.expr.evaluate(row);
  try {
    return fromCel(value);
  } catch (err) {
    if (err instanceof DataError) throw new DataError(`computed field "${f.name}": ${err.message}`);
    throw err;
  }
}
