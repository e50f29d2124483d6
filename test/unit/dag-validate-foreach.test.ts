// Mapped nodes (`forEach`) as the validator sees them: the list's shape and size, where `{{ item }}`
// and `{{ index }}` may appear, and that a forEach template names something upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorsOf, sleepNode, spec } from './dag-fixtures.js';
import { catalog } from '../../src/catalog.js';
import { validatePipeline } from '../../src/dag/validate.js';
import { resolveTemplates, TemplateError } from '../../src/dag/template.js';
import { MAX_MAP_ITEMS } from '../../src/dag/limits.js';
import { resolveParams } from '../../src/api/runs/params.js';
import type { BadRequestError } from '../../src/api/errors.js';

test('a node maps over an upstream output or a list as written, with item and index in its config', () => {
  const result = validatePipeline(
    spec([
      sleepNode('list'),
      { id: 'each', type: 'control.sleep', needs: ['list'], forEach: '{{ nodes.list.outputs.sleptMs }}', config: { ms: '{{ item.ms }}' } },
      { id: 'fixed', type: 'control.sleep', forEach: [1, 2, 3], config: { ms: '{{ index }}' } },
    ]),
    catalog,
  );
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(result.spec.nodes[2]!.forEach, [1, 2, 3]);
});

test('item and index belong to the config of a mapped node only', () => {
  assert.deepEqual(
    errorsOf(
      spec([
        sleepNode('plain', [], { config: { ms: '{{ item }}' } }),
        { id: 'each', type: 'control.sleep', forEach: [1], when: '{{ item }}', config: { ms: '{{ index.x }}' } },
      ]),
    ),
    [
      'nodes[0].config.ms: {{ item }}: item is defined only in a node with forEach',
      'nodes[1].config.ms: {{ index.x }}: index has no fields',
      'nodes[1].when: {{ item }}: item can be used only in config (when and forEach are read once for the whole node)',
    ],
  );
});

test('forEach is one template naming something upstream, or a list of at most MAX_MAP_ITEMS items', () => {
  assert.deepEqual(
    errorsOf(
      spec([
        sleepNode('a'),
        { id: 'text', type: 'control.sleep', forEach: 'items: {{ nodes.a.outputs.x }}', config: { ms: 1 } },
        { id: 'far', type: 'control.sleep', forEach: '{{ nodes.a.outputs.x }}', config: { ms: 1 } },
        { id: 'self', type: 'control.sleep', forEach: '{{ item }}', config: { ms: 1 } },
        { id: 'big', type: 'control.sleep', forEach: Array.from({ length: MAX_MAP_ITEMS + 1 }, () => 0), config: { ms: 1 } },
        { id: 'wrong', type: 'control.sleep', forEach: 42, config: { ms: 1 } },
      ]),
    ),
    [
      'nodes[1].forEach: expected one template like "{{ nodes.<id>.outputs.<list> }}", or a list of items',
      'nodes[2].forEach: {{ nodes.a.outputs.x }}: "a" is not upstream of "far"; add it to needs (directly or through another node)',
      'nodes[3].forEach: {{ item }}: item can be used only in config (when and forEach are read once for the whole node)',
      `nodes[4].forEach: must list at most ${MAX_MAP_ITEMS} items`,
      'nodes[5].forEach: expected one template like "{{ nodes.<id>.outputs.<list> }}", or a list of items',
    ],
  );
});

test('an instance resolves item fields and index; outside a mapped node item is an error', () => {
  const ctx = { params: {}, nodes: {}, run: { id: 'r', pipeline: 'p', scheduledAt: '2026-01-02T03:00:00.000Z' } };
  assert.deepEqual(
    resolveTemplates({ table: 't_{{ item.name }}', n: '{{ index }}', whole: '{{ item }}' }, { ...ctx, mapped: { item: { name: 'eu' }, index: 7 } }),
    { table: 't_eu', n: 7, whole: { name: 'eu' } },
  );
  assert.throws(
    () => resolveTemplates('{{ item }}', ctx, 'config.x'),
    (err) => err instanceof TemplateError && err.path === 'config.x' && /item is defined only in the config of a node with forEach/.test(err.message),
  );
  assert.throws(() => resolveTemplates('{{ item.missing }}', { ...ctx, mapped: { item: { name: 'eu' }, index: 0 } }), /item has no field "missing"/);
});

test('a list param feeds forEach; its default and the value a run gives are lists of at most MAX_MAP_ITEMS', () => {
  const declared = { regions: { type: 'list', default: ['eu'] } };
  const result = validatePipeline(spec([{ id: 'each', type: 'control.sleep', forEach: '{{ params.regions }}', config: { ms: 1 } }], { params: declared }), catalog);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(resolveParams(result.spec.params, {}), { regions: ['eu'] });
  assert.deepEqual(resolveParams(result.spec.params, { regions: ['eu', 'us'] }), { regions: ['eu', 'us'] });
  const problems = (given: Record<string, unknown>): string[] => {
    try {
      resolveParams(result.spec.params, given);
      return [];
    } catch (err) {
      return (err as BadRequestError).errors!.map((e) => `${e.path}: ${e.message}`);
    }
  };
  assert.deepEqual(problems({ regions: 'eu' }), ['params.regions: expected list, got string']);
  assert.deepEqual(problems({ regions: Array.from({ length: MAX_MAP_ITEMS + 1 }, () => 0) }), [`params.regions: must list at most ${MAX_MAP_ITEMS} items, got ${MAX_MAP_ITEMS + 1}`]);
  assert.deepEqual(errorsOf(spec([sleepNode('a')], { params: { regions: { type: 'list', default: 'eu' } } })), ['params.regions.default: expected list to match the param\'s type, got string']);
});
