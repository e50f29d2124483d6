// transform.filter: keeps the rows for which a CEL expression is true. A row whose expression fails
// or is not a boolean (e.g. `amount > 0` where amount is text) is rejected as a bad record, or
// dropped silently with onError: drop. Null is not true: the row is dropped, as SQL's WHERE does.
import { type ColumnSchema, ConfigError, DataError, type PreparedTransform } from '../../src/kit/index.js';
import { compileExpression } from './expr.js';
import type { TransformFilterConfig } from './schema.js';
import { judgeRows } from './verdict.js';

export function prepareFilter(config: TransformFilterConfig, input: ColumnSchema[]): PreparedTransform {
  const where = compileExpression(config.where, input, 'config.where');
  if (where.type !== undefined && where.type !== 'bool') {
    throw new ConfigError(`config.where: must be a boolean expression, but ${JSON.stringify(config.where)} is a ${where.type}`);
  }
  const reject = config.onError === 'reject';
  return {
    schema: input,
    apply(rows, position) {
      return judgeRows(rows, position, (row) => {
        let keep: unknown;
        try {
          keep = where.evaluate(row);
        } catch (err) {
          if (!(err instanceof DataError)) throw err;
          return reject ? { reject: err.message } : 'drop';
        }
        if (keep === true) return 'keep';
        if (keep === false || keep === null || !reject) return 'drop';
        return { reject: `config.where: ${JSON.stringify(config.where)} is ${describeValue(keep)}, not a boolean` };
      });
    },
  };
}

function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `the int ${v}`;
  if (typeof v === 'number') return `the double ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `a ${Array.isArray(v) ? 'list' : typeof v}`;
}
