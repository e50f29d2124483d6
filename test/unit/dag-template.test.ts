import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TemplateError,
  evaluateWhen,
  resolveTemplates,
  templateRefs,
  type TemplateContext,
} from '../../src/dag/template.js';

const ctx: TemplateContext = {
  params: { since: '2024-01-01', limit: 500, full: false },
  nodes: {
    extract: { outputs: { rows: 1200, dataset: { uri: 'file:///staging/run-1/extract', parts: [3, 4] } } },
    pending: { outputs: null },
  },
  run: { id: 'run-1', pipeline: 'orders-daily', scheduledAt: '2026-01-02T03:00:00.000Z' },
};

test('a string that is exactly one template yields the raw value, keeping its type', () => {
  assert.equal(resolveTemplates('{{ params.limit }}', ctx), 500);
  assert.equal(resolveTemplates('{{params.full}}', ctx), false);
  assert.deepEqual(resolveTemplates('{{ nodes.extract.outputs.dataset }}', ctx), ctx.nodes.extract?.outputs?.dataset);
});

test('templates inside text are interpolated, objects as JSON', () => {
  assert.equal(resolveTemplates('since {{ params.since }} limit {{ params.limit }}', ctx), 'since 2024-01-01 limit 500');
  assert.equal(
    resolveTemplates('ds={{ nodes.extract.outputs.dataset.parts }};', ctx),
    'ds=[3,4];',
  );
  assert.equal(resolveTemplates('run {{ run.id }} of {{ run.pipeline }}', ctx), 'run run-1 of orders-daily');
  assert.equal(resolveTemplates('as of {{ run.scheduledAt }}', ctx), 'as of 2026-01-02T03:00:00.000Z');
});

test('nested output fields and array indexes are plain path lookups', () => {
  assert.equal(resolveTemplates('{{ nodes.extract.outputs.dataset.uri }}', ctx), 'file:///staging/run-1/extract');
  assert.equal(resolveTemplates('{{ nodes.extract.outputs.dataset.parts.1 }}', ctx), 4);
});

test('resolution deep-walks objects and arrays without touching the input', () => {
  const config = { query: 'select $1', params: ['{{ params.since }}', 7, null], nested: { n: '{{ params.limit }}' } };
  const copy = structuredClone(config);
  assert.deepEqual(resolveTemplates(config, ctx), { query: 'select $1', params: ['2024-01-01', 7, null], nested: { n: 500 } });
  assert.deepEqual(config, copy);
});

test('secret references are left untouched, even when their name looks like a template', () => {
  const config = { connection: { $secret: 'ORDERS_DB' }, odd: { $secret: '{{ params.since }}' } };
  assert.deepEqual(resolveTemplates(config, ctx), config);
});

test('a missing field throws a TemplateError naming the reference and where it is', () => {
  const config = { params: ['{{ nodes.extract.outputs.rowz }}'] };
  assert.throws(
    () => resolveTemplates(config, ctx, 'config'),
    (err: unknown) => {
      assert.ok(err instanceof TemplateError);
      assert.equal(err.path, 'config.params[0]');
      assert.equal(err.message, '{{ nodes.extract.outputs.rowz }}: nodes.extract.outputs has no field "rowz"');
      return true;
    },
  );
});

test('a node without outputs, an unknown param and an unknown root are errors too', () => {
  assert.throws(() => resolveTemplates('{{ nodes.pending.outputs.rows }}', ctx), /nodes\.pending has no outputs/);
  assert.throws(() => resolveTemplates('{{ params.nope }}', ctx), /\{\{ params\.nope \}\}: no value for param "nope"/);
  assert.throws(() => resolveTemplates('x {{ env.HOME }}', ctx), /unknown reference "env"/);
  assert.throws(() => resolveTemplates('{{ nodes.extract.rows }}', ctx), /expected nodes\.<id>\.outputs\.<field>/);
});

test('lookups never reach prototype members', () => {
  assert.throws(() => resolveTemplates('{{ params.constructor }}', ctx), TemplateError);
  assert.throws(() => resolveTemplates('{{ nodes.extract.outputs.rows.toString }}', ctx), TemplateError);
  assert.throws(() => resolveTemplates('{{ nodes.__proto__.outputs.x }}', ctx), TemplateError);
});

test('expressions are not evaluated', () => {
  assert.throws(() => resolveTemplates('{{ params.limit + 1 }}', ctx), /not a plain path/);
});

test('templateRefs lists every reference with the path of the string holding it', () => {
  const refs = templateRefs(
    { query: 'a {{ params.since }} b {{ run.id }}', params: ['{{nodes.extract.outputs.rows}}'], c: { $secret: 'X' }, n: 3 },
    'nodes[0].config',
  );
  assert.deepEqual(refs, [
    { path: 'nodes[0].config.query', ref: ['params', 'since'] },
    { path: 'nodes[0].config.query', ref: ['run', 'id'] },
    { path: 'nodes[0].config.params[0]', ref: ['nodes', 'extract', 'outputs', 'rows'] },
  ]);
});

test('evaluateWhen is false for false, "false", "", 0, "0", null and "no", true otherwise', () => {
  const when = (value: unknown): boolean => evaluateWhen('{{ params.v }}', { ...ctx, params: { v: value } });
  for (const falsy of [false, 'false', '', 0, '0', null, 'no', 'No', ' FALSE ']) {
    assert.equal(when(falsy), false, `${JSON.stringify(falsy)} counted as true`);
  }
  for (const truthy of [true, 'true', 'yes', 1, 'x', {}, []]) {
    assert.equal(when(truthy), true, `${JSON.stringify(truthy)} counted as false`);
  }
  assert.equal(evaluateWhen('{{ nodes.extract.outputs.rows }}', ctx), true);
  assert.equal(evaluateWhen('false', ctx), false);
});

test('evaluateWhen throws a TemplateError located at when for a missing reference', () => {
  assert.throws(
    () => evaluateWhen('{{ nodes.extract.outputs.changed }}', ctx),
    (err: unknown) => err instanceof TemplateError && err.path === 'when',
  );
});
