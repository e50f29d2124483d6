// Row expressions in CEL (Common Expression Language, cel-js): parsed and checked once per node,
// evaluated per row with no eval or Function anywhere. Each field whose name is an identifier is a
// variable (`amount * quantity`); every field is also in the map `row` (`row["odd name"]`).
// CEL is strict about int versus double; we add mixed arithmetic (int * double is a double) because
// dataset columns mix the two all the time (`amount * quantity`).
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { type ColumnSchema, ConfigError, DataError, didYouMean, type Row } from '../../src/kit/index.js';
import { celTypeOf, toCelConverter } from './cel-values.js';

/** The variable holding the whole row as a map; a field named `row` is reachable only as row["row"]. */
export const ROW_VARIABLE = 'row';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// CEL's reserved words cannot be variables even where the parser would let them through.
const RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import',
  'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while', ROW_VARIABLE,
]);
const TEMPLATE = /\{\{[^{}]*\}\}/g;

type Arith = (a: number, b: number) => number;
const ARITHMETIC: [string, Arith][] = [['+', (a, b) => a + b], ['-', (a, b) => a - b], ['*', (a, b) => a * b], ['/', (a, b) => a / b]];

let base: Environment | undefined;

// Building an environment is the expensive part of cel-js, so there is one, cloned per expression.
function baseEnvironment(): Environment {
  if (base) return base;
  const env = new Environment({ homogeneousAggregateLiterals: false });
  for (const [op, fn] of ARITHMETIC) {
    env.registerOperator(`int ${op} double: double`, (a: bigint, b: number) => fn(Number(a), b));
    env.registerOperator(`double ${op} int: double`, (a: number, b: bigint) => fn(a, Number(b)));
  }
  base = env;
  return env;
}

let lenient: Environment | undefined;

/**
 * Why `source` cannot be a row expression, or undefined when it parses and type-checks with every name
 * allowed. For config validation, before the input's fields are known: `{{ }}` templates count as values.
 */
export function expressionProblem(source: string): string | undefined {
  lenient ??= baseEnvironment().clone({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  const text = source.replace(TEMPLATE, '_template');
  try {
    const result = lenient.parse(text).check();
    return result.valid ? undefined : describe(result.error, text);
  } catch (err) {
    return describe(err, text);
  }
}

/** A compiled row expression. */
export interface RowExpression {
  source: string;
  /** Its CEL type when every field holds a value of its column's type (e.g. `double`); undefined if unknown. */
  type: string | undefined;
  /** Evaluates against one row and returns the CEL value; a failure is a DataError naming the expression. */
  evaluate(row: Row): unknown;
}

/** Compiles `source` against the input's fields; bad syntax or an unknown field is a ConfigError at `where`. */
export function compileExpression(source: string, schema: readonly ColumnSchema[], where: string): RowExpression {
  const env = baseEnvironment().clone({ homogeneousAggregateLiterals: false });
  const typed = baseEnvironment().clone({ homogeneousAggregateLiterals: false });
  const variables = new Map<string, ColumnSchema>();
  for (const column of schema) {
    // Names CEL already uses (string, int, type, ...) stay reachable through row["..."].
    if (!IDENTIFIER.test(column.name) || RESERVED.has(column.name) || variables.has(column.name) || env.hasVariable(column.name)) continue;
    env.registerVariable(column.name, 'dyn');
    typed.registerVariable(column.name, celTypeOf(column.type));
    variables.set(column.name, column);
  }
  env.registerVariable(ROW_VARIABLE, 'map');
  typed.registerVariable(ROW_VARIABLE, 'map');

  let parsed: ParseResult;
  try {
    parsed = env.parse(source);
  } catch (err) {
    throw new ConfigError(`${where}: ${describe(err, source)}`);
  }
  const names = identifiers(parsed.ast);
  const check = parsed.check();
  if (!check.valid) {
    const shadowed = schema.filter((c) => names.has(c.name) && !variables.has(c.name)).map((c) => c.name);
    const hint = shadowed.map((n) => `; field "${n}" has a name CEL reserves: write ${ROW_VARIABLE}[${JSON.stringify(n)}]`).join('');
    throw new ConfigError(`${where}: ${unknownField(check.error, schema) ?? describe(check.error, source)}${hint}`);
  }
  const inferred = typed.check(source);
  const type = inferred.valid && inferred.type !== 'dyn' ? inferred.type : undefined;

  const used = [...variables.values()].filter((c) => names.has(c.name)).map((c) => ({ name: c.name, convert: toCelConverter(c.type) }));
  const whole = names.has(ROW_VARIABLE) ? schema.map((c) => ({ name: c.name, convert: toCelConverter(c.type) })) : null;
  // One context object, refilled per row: evaluation is synchronous and only reads what the expression names.
  const context: Record<string, unknown> = Object.create(null) as Record<string, unknown>;

  return {
    source,
    type,
    evaluate(row) {
      for (const { name, convert } of used) context[name] = convert(row[name] ?? null);
      if (whole) {
        const map: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        for (const { name, convert } of whole) map[name] = convert(row[name] ?? null);
        context[ROW_VARIABLE] = map;
      }
      try {
        return parsed(context);
      } catch (err) {
        throw new DataError(`${where}: ${JSON.stringify(source)} failed: ${summary(err)}`);
      }
    },
  };
}

// Every identifier in the expression; iteration variables of macros are included, which only costs a lookup.
function identifiers(ast: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null && 'op' in node && 'args' in node) {
      const { op, args } = node as { op: string; args: unknown };
      if (op === 'id' && typeof args === 'string') found.add(args);
      else if (op !== 'value') visit(args);
    }
  };
  visit(ast);
  return found;
}

function unknownField(err: unknown, schema: readonly ColumnSchema[]): string | undefined {
  const name = /^Unknown variable: (\S+)/.exec(summary(err))?.[1];
  if (name === undefined) return undefined;
  const fields = schema.map((c) => c.name);
  if (fields.includes(name)) return `"${name}" is not a variable`;
  const listed = fields.length > 0 ? fields.join(', ') : 'none';
  return `unknown field "${name}"${didYouMean(name, fields)}; the input has: ${listed}`;
}

function describe(err: unknown, source: string): string {
  const range = typeof err === 'object' && err !== null && 'range' in err ? (err as { range?: { start: number } }).range : undefined;
  const at = range ? ` at character ${range.start + 1}` : '';
  return `${summary(err)}${at} in ${JSON.stringify(source)}`;
}

function summary(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'summary' in err && typeof err.summary === 'string') return err.summary;
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}
