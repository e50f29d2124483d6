// What a mapped node's chunks get of the run's template context: only what its config names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextFor } from '../../src/workflows/mapped.js';
import { resolveTemplates, type TemplateContext } from '../../src/dag/template.js';

const big = Array.from({ length: 10_000 }, (_, i) => `item-${i}`);
const ctx: TemplateContext = {
  params: { day: '2026-11-30', regions: big },
  nodes: {
    list: { outputs: { items: big, count: big.length, nested: { a: { b: 1 }, other: big } } },
    other: { outputs: { items: big } },
    pending: { outputs: null },
  },
  run: { id: 'r1', pipeline: 'p', scheduledAt: '2026-11-30T00:00:00.000Z' },
};

test('a mapped node sends its chunks only the params and output fields its config names, which resolve as before', () => {
  const config = { n: '{{ nodes.list.outputs.count }}', deep: '{{ nodes.list.outputs.nested.a.b }}', day: '{{ params.day }} / {{ run.id }}', item: '{{ item }}' };
  const pruned = contextFor(config, ctx);
  assert.deepEqual(pruned, {
    params: { day: '2026-11-30' },
    nodes: { list: { outputs: { count: 10_000, nested: { a: { b: 1 } } } } },
    run: { id: 'r1', pipeline: 'p', scheduledAt: '2026-11-30T00:00:00.000Z' },
  });
  const mapped = { item: 'x', index: 3 };
  assert.deepEqual(resolveTemplates(config, { ...pruned, mapped }), resolveTemplates(config, { ...ctx, mapped }));
  assert.ok(JSON.stringify(pruned).length < 300);
});

test('a field that is missing, or outputs not there yet, fail the same way on the pruned context', () => {
  for (const config of [{ x: '{{ nodes.list.outputs.nope.deeper }}' }, { x: '{{ nodes.pending.outputs.count }}' }]) {
    const pruned = contextFor(config, ctx);
    const message = (c: TemplateContext): string => {
      try {
        resolveTemplates(config, c, 'config');
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.notEqual(message(ctx), '');
    assert.equal(message(pruned), message(ctx));
  }
});
