// transform.validate: checks each row against per-field rules and passes valid rows on unchanged
// (it checks, it does not convert: cast with transform.map). A row that breaks rules is a bad record
// whose reason names every broken rule: `amount: -3 is below min 0; status: "x" is not one of paid, shipped`.
import { type ColumnSchema, ConfigError, DataError, type PreparedTransform, type Row } from '../../src/kit/index.js';
import { castValue } from './cast.js';
import { requireField } from './fields.js';
import type { FieldRule, TransformValidateConfig } from './schema.js';
import { judgeRows } from './verdict.js';

type Check = (value: unknown) => string | undefined;

/** The problems of one field's value, each written `<why>` after `<field>: `; empty when it is valid. */
export function fieldChecks(rule: FieldRule): Check {
  const pattern = rule.pattern === undefined ? undefined : new RegExp(rule.pattern, 'u');
  const allowed = rule.enum === undefined ? undefined : new Set(rule.enum.map(String));
  const numeric = rule.min !== undefined || rule.max !== undefined;
  const length = rule.minLength !== undefined || rule.maxLength !== undefined;
  return (value) => {
    if (value === null || value === undefined) return rule.required ? 'is required' : undefined;
    const problems: string[] = [];
    let typed: unknown = value;
    if (rule.type !== undefined) {
      try {
        typed = castValue(value, rule.type, () => '');
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
        // The other rules read the value as this type, so they cannot say anything useful about it.
        return `${show(value)} is not ${article(rule.type)}`;
      }
    }
    if (numeric) {
      const n = typeof typed === 'number' ? typed : typeof typed === 'string' && typed.trim() !== '' ? Number(typed) : NaN;
      if (Number.isNaN(n)) problems.push(`${show(value)} is not a number`);
      else if (rule.min !== undefined && n < rule.min) problems.push(`${show(value)} is below min ${rule.min}`);
      else if (rule.max !== undefined && n > rule.max) problems.push(`${show(value)} is above max ${rule.max}`);
    }
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    if (length) {
      const chars = [...text].length;
      if (rule.minLength !== undefined && chars < rule.minLength) problems.push(`${show(value)} is shorter than ${rule.minLength} characters`);
      if (rule.maxLength !== undefined && chars > rule.maxLength) problems.push(`${show(value)} is longer than ${rule.maxLength} characters`);
    }
    if (pattern && !pattern.test(text)) problems.push(`${show(value)} does not match ${rule.pattern}`);
    if (allowed && (typeof value === 'object' || !allowed.has(text))) problems.push(`${show(value)} is not one of ${rule.enum!.join(', ')}`);
    return problems.length === 0 ? undefined : problems.join(', ');
  };
}

export function prepareValidate(config: TransformValidateConfig, input: ColumnSchema[]): PreparedTransform {
  const rules = Object.entries(config.fields).map(([field, rule]) => {
    requireField(field, input, `config.fields.${field}`);
    return { field, check: fieldChecks(rule) };
  });
  const declared = new Set(Object.keys(config.fields));
  const extra = input.filter((c) => !declared.has(c.name)).map((c) => c.name);
  // Every row would be rejected for the same reason: that is a config that does not fit its input.
  if (!config.allowExtra && extra.length > 0) {
    throw new ConfigError(`config.allowExtra: false, but the input has fields that config.fields does not list: ${extra.join(', ')}`);
  }
  const problemsOf = (row: Row): string[] => {
    const problems: string[] = [];
    for (const { field, check } of rules) {
      const problem = check(row[field]);
      if (problem !== undefined) problems.push(`${field}: ${problem}`);
    }
    if (!config.allowExtra) {
      for (const key of Object.keys(row)) if (!declared.has(key)) problems.push(`${key}: not in config.fields (allowExtra is false)`);
    }
    return problems;
  };
  return {
    schema: input,
    apply(rows, position) {
      return judgeRows(rows, position, (row) => {
        const problems = problemsOf(row);
        return problems.length === 0 ? 'keep' : { reject: problems.join('; ') };
      });
    },
  };
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

