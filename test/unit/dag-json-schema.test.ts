import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalog } from '../../src/catalog.js';
import { pipelineJsonSchema } from '../../src/dag/json-schema.js';

type Json = { [key: string]: unknown };

const schema = pipelineJsonSchema(catalog) as Json;

function get(value: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], value);
}

test('the JSON Schema is plain JSON declaring draft 2020-12', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.deepEqual(get(schema, 'required'), ['name', 'nodes']);
});

test('the JSON Schema offers every catalog type and describes its config', () => {
  const text = JSON.stringify(schema);
  for (const type of catalog.keys()) assert.ok(text.includes(`"${type}"`), `missing ${type}`);
  const node = get(schema, 'properties', 'nodes', 'items');
  const offered = (get(node, 'properties', 'type', 'anyOf') as Json[]).map((o) => o.const);
  assert.deepEqual(offered, [...catalog.keys()]);
  const rules = get(node, 'allOf') as Json[];
  const write = rules.find((r) => get(r, 'if', 'properties', 'type', 'const') === 'postgres.write');
  assert.deepEqual(get(write, 'then', 'properties', 'config', 'required'), ['connection', 'table']);
  assert.equal(get(write, 'then', 'properties', 'config', 'additionalProperties'), false);
});

test('the JSON Schema lets a secret ref or a template stand for a config value', () => {
  const rules = get(schema, 'properties', 'nodes', 'items', 'allOf') as Json[];
  const read = rules.find((r) => get(r, 'if', 'properties', 'type', 'const') === 'postgres.read');
  const batchSize = get(read, 'then', 'properties', 'config', 'properties', 'batchSize', 'anyOf') as Json[];
  assert.deepEqual(batchSize.slice(1), [{ $ref: '#/$defs/secretRef' }, { $ref: '#/$defs/template' }]);
  assert.equal(get(batchSize, 0, 'type'), 'integer');
  assert.equal(get(schema, '$defs', 'secretRef', 'properties', '$secret', 'pattern'), '^[A-Z_][A-Z0-9_]*$');
});

test('the JSON Schema describes durations as written, not as milliseconds only', () => {
  const timeout = get(schema, 'properties', 'defaults', 'properties', 'timeout', 'anyOf') as Json[];
  assert.deepEqual(timeout.map((t) => t.type), ['integer', 'string']);
});
