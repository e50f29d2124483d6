// Expressions in transform configs are compiled when a pipeline is validated, so `sluice validate` and
// the API report one that does not compile at its path, before anything runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalog } from '../../../src/catalog.js';
import { validatePipeline } from '../../../src/dag/validate.js';
import { pipelineJsonSchema } from '../../../src/dag/json-schema.js';

const read = { id: 'extract', type: 'postgres.read', config: { connection: 'postgres://u@h/db', query: 'select 1' } };

function errorsOf(nodes: unknown[], extra: Record<string, unknown> = {}): string[] {
  const result = validatePipeline({ name: 'p', nodes: [read, ...nodes], ...extra }, catalog);
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

test('validatePipeline rejects a filter expression that does not compile, at config.where', () => {
  assert.deepEqual(errorsOf([{ id: 'f', type: 'transform.filter', needs: ['extract'], config: { where: 'amount >> 3' } }]), [
    'nodes[1].config.where: does not compile: Unexpected token: GT at character 9 in "amount >> 3"',
  ]);
});

test('validatePipeline rejects a computed field that does not compile, in either form, at its path', () => {
  const errors = errorsOf([
    {
      id: 'm',
      type: 'transform.map',
      needs: ['extract'],
      config: { compute: { total: { expr: 'amount * ', type: 'float' }, label: '"a" + 1', ok: 'a + b' } },
    },
  ]);
  assert.deepEqual(errors, [
    'nodes[1].config.compute.total.expr: does not compile: Unexpected token: EOF at character 10 in "amount * "',
    'nodes[1].config.compute.label: does not compile: no such overload: string + int at character 1 in "\\"a\\" + 1"',
  ]);
});

test('a template inside an expression, or standing for one, is refused: expressions are code, not text to splice', () => {
  const errors = errorsOf(
    [
      { id: 'f', type: 'transform.filter', needs: ['extract'], config: { where: 'amount > {{ params.min }}' } },
      { id: 'g', type: 'transform.filter', needs: ['f'], config: { where: '{{ params.where }}' } },
    ],
    { params: { min: { type: 'number' }, where: { type: 'string' } } },
  );
  const refused = 'a {{ }} template may not stand inside an expression: values reach expressions as fields of the row';
  assert.deepEqual(errors, [`nodes[1].config.where: ${refused}`, `nodes[2].config.where: ${refused}`]);
});

test('the new node types validate with their config errors at their paths', () => {
  const errors = errorsOf([
    { id: 'd', type: 'transform.dedupe', needs: ['extract'], config: { key: [], keep: 'last' } },
    { id: 'v', type: 'transform.validate', needs: ['d'], config: { fields: { email: { pattern: '[' } }, allowExtra: 'no' } },
  ]);
  assert.deepEqual(errors, [
    'nodes[1].config.key: must not be empty',
    'nodes[1].config.keep: last is not supported: transform.dedupe writes each part as it reads it, so it cannot take back a row once a later duplicate appears; order the input newest first (e.g. ORDER BY updated_at DESC) and keep: first',
    'nodes[2].config.fields.email.pattern: is not a valid regular expression',
    'nodes[2].config.allowExtra: expected boolean, got string',
  ]);
});

test('the transform node types are in the catalog, read a dataset and produce one, and have a JSON Schema', () => {
  for (const type of ['transform.map', 'transform.filter', 'transform.dedupe', 'transform.validate']) {
    const def = catalog.get(type);
    assert.ok(def, type);
    assert.equal(def.consumesDataset && def.producesDataset, true, type);
  }
  const text = JSON.stringify(pipelineJsonSchema(catalog));
  for (const key of ['"where"', '"compute"', '"allowExtra"', '"keep"']) assert.ok(text.includes(key), key);
});
