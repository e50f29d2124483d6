import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePipelineText } from '../../src/dag/validate.js';

test('YAML is the default and also reads JSON text', () => {
  assert.deepEqual(parsePipelineText('name: a\nnodes: []\n'), { ok: true, value: { name: 'a', nodes: [] } });
  assert.deepEqual(parsePipelineText('{"name": "a", "nodes": []}'), { ok: true, value: { name: 'a', nodes: [] } });
});

test('YAML keeps "no", "on" and durations as strings (YAML 1.2)', () => {
  assert.deepEqual(parsePipelineText('when: no\nx: on\ntimeout: 10m\n'), { ok: true, value: { when: 'no', x: 'on', timeout: '10m' } });
});

test('a YAML syntax error gives line:col and the root path', () => {
  const result = parsePipelineText('name: a\nnodes: [1,\nmaxParallel: 2\n');
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.equal(result.errors[0]?.path, '');
  assert.match(result.errors[0]?.message ?? '', /^\d+:\d+: /);
});

test('a key given twice in YAML is an error at its line', () => {
  const result = parsePipelineText('name: a\nname: b\n');
  assert.ok(!result.ok);
  assert.equal(result.errors[0]?.message, '2:1: Map keys must be unique');
});

test('JSON errors give line:col too', () => {
  const result = parsePipelineText('{\n  "name": "a",\n}', 'json');
  assert.ok(!result.ok);
  assert.equal(result.errors[0]?.path, '');
  assert.match(result.errors[0]?.message ?? '', /^3:1: invalid JSON: /);
});

test('a byte order mark does not break parsing', () => {
  assert.deepEqual(parsePipelineText('\uFEFF{"name": "a"}', 'json'), { ok: true, value: { name: 'a' } });
});
