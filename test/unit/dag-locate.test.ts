import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locatePath, parsePath } from '../../src/dag/locate.js';
import { formatPath } from '../../src/dag/path.js';

const YAML = `name: orders
params:
  since: { type: string }
nodes:
  - id: extract
    type: postgres.read
    config:
      connection: { $secret: SHOP_DB }
      query: select 1
  - id: load
    type: postgres.write
    needs: [extract, extarct]
    config:
      "order id": x
      table: dw.orders
`;

test("paths in the validator's format parse back into their segments", () => {
  for (const segments of [['nodes', 2, 'config', 'table'], ['rename', 'order id'], ['params', 'since'], ['a', 0, 1, 'b"c']]) {
    assert.deepEqual(parsePath(formatPath(segments)), segments);
  }
  assert.deepEqual(parsePath(''), []);
  assert.equal(parsePath('nodes[x]'), null);
  assert.equal(parsePath('nodes..a'), null);
});

test('a map entry is located at its key, a list item at the item, with its line and column', () => {
  const table = locatePath(YAML, 'nodes[1].config.table')!;
  assert.equal(YAML.slice(table.from, table.to), 'table');
  assert.deepEqual([table.line, table.col, table.exact], [15, 7, true]);
  const need = locatePath(YAML, 'nodes[1].needs[1]')!;
  assert.equal(YAML.slice(need.from, need.to), 'extarct');
  assert.equal(need.line, 12);
  const quoted = locatePath(YAML, 'nodes[1].config["order id"]')!;
  assert.equal(YAML.slice(quoted.from, quoted.to), '"order id"');
  const flow = locatePath(YAML, 'params.since.type')!;
  assert.equal(YAML.slice(flow.from, flow.to), 'type');
  assert.equal(flow.line, 3);
});

test('a missing key or item points at its deepest ancestor, marked not exact', () => {
  const missing = locatePath(YAML, 'nodes[0].config.table')!;
  assert.equal(YAML.slice(missing.from, missing.to), 'config');
  assert.equal(missing.exact, false);
  const beyond = locatePath(YAML, 'nodes[7].id')!;
  assert.equal(YAML.slice(beyond.from, beyond.to), 'nodes');
  assert.equal(beyond.exact, false);
});

test('JSON text works too; unparseable text or a malformed path gives null', () => {
  const json = '{\n  "name": "x",\n  "nodes": [\n    { "id": "a", "type": "control.sleep" }\n  ]\n}';
  const t = locatePath(json, 'nodes[0].type')!;
  assert.equal(json.slice(t.from, t.to), '"type"');
  assert.equal(t.line, 4);
  assert.equal(locatePath('a: [1,', 'a'), null);
  assert.equal(locatePath(YAML, 'nodes[x]'), null);
});
