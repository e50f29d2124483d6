import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { catalog } from '../../src/catalog.js';
import { makeCatalog } from '../../src/dag/catalog.js';
import { formatPath, parsePipelineText, validatePipeline } from '../../src/dag/validate.js';
import { DESIGN_EXAMPLE_YAML, errorsOf, readNode, sleepNode, spec, writeNode } from './dag-fixtures.js';

/** The catalog's node types, as the validator lists them. */
const KNOWN_TYPES = [...catalog.keys()].sort().join(', ');

const noop = { type: 'test.noop', description: 'does nothing', config: z.strictObject({}), consumesDataset: false, producesDataset: false };

function parsedExample(): unknown {
  const parsed = parsePipelineText(DESIGN_EXAMPLE_YAML);
  assert.ok(parsed.ok);
  return parsed.value;
}

test('the DESIGN.md example validates and is normalised: durations in ms, defaults filled, config as written', () => {
  const result = validatePipeline(parsedExample(), catalog);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const { spec: s } = result;
  assert.deepEqual(s.defaults, { retry: { maximumAttempts: 5, initialInterval: 1000, backoffCoefficient: 2 }, timeout: 600_000 });
  assert.equal(s.maxParallel, 8);
  assert.deepEqual(s.nodes.map((n) => [n.id, n.needs]), [['extract', []], ['clean', ['extract']], ['load', ['clean']]]);
  assert.deepEqual(s.nodes[0]?.config, {
    connection: { $secret: 'ORDERS_DB' },
    query: 'select * from orders where updated_at > $1',
    params: ['{{ params.since }}'],
  });
  assert.equal(s.nodes[0]?.site, 'acme-dc1');
});

test('the same spec written as JSON validates to the same result', () => {
  const json = parsePipelineText(JSON.stringify(parsedExample()), 'json');
  assert.ok(json.ok);
  assert.deepEqual(validatePipeline(json.value, catalog), validatePipeline(parsedExample(), catalog));
});

test('omitted optional fields get their defaults', () => {
  const result = validatePipeline(spec([{ id: 'nap', type: 'control.sleep', config: { ms: 5 } }]), catalog);
  assert.ok(result.ok);
  assert.equal(result.spec.maxParallel, 4);
  assert.deepEqual(result.spec.nodes[0]?.needs, []);
  const noConfig = validatePipeline(spec([{ id: 'nap', type: 'test.noop' }]), makeCatalog([noop]));
  assert.ok(noConfig.ok);
  assert.deepEqual(noConfig.spec.nodes[0]?.config, {});
});

test('needs may be a single id, as in GitHub Actions', () => {
  const result = validatePipeline(spec([sleepNode('a'), { ...sleepNode('b'), needs: 'a' }]), catalog);
  assert.ok(result.ok);
  assert.deepEqual(result.spec.nodes[1]?.needs, ['a']);
});

test('a spec that is not an object is rejected at the root', () => {
  assert.deepEqual(errorsOf('nope'), [': expected object, got string']);
  assert.deepEqual(errorsOf(null), [': expected object, got null']);
});

test('missing fields are reported as required', () => {
  assert.deepEqual(errorsOf({ nodes: [{ type: 'control.sleep', config: { ms: 1 } }] }), ['name: required', 'nodes[0].id: required']);
});

test('unknown keys are errors, with a suggestion for a likely typo', () => {
  const errors = errorsOf(spec([{ ...sleepNode('a'), need: ['b'] }], { maxparallel: 2 }));
  assert.deepEqual(errors, [
    'maxparallel: unknown key "maxparallel" (did you mean "maxParallel"?)',
    'nodes[0].need: unknown key "need" (did you mean "needs"?)',
  ]);
});

test('wrong types and out-of-range values say what was expected', () => {
  const errors = errorsOf(spec([{ ...sleepNode('a'), id: 7 }], { maxParallel: 100, description: 3 }));
  assert.ok(errors.includes('nodes[0].id: expected string, got number'), errors.join('\n'));
  assert.ok(errors.includes('maxParallel: must be <= 64'), errors.join('\n'));
  assert.ok(errors.includes('description: expected string, got number'), errors.join('\n'));
});

test('names, ids, types and sites must have their documented form', () => {
  const errors = errorsOf({
    name: 'Orders_Daily',
    nodes: [{ ...sleepNode('a.b'), site: 'ACME', type: 'sleep' }],
  });
  assert.deepEqual(errors, [
    'name: expected a name of lower-case letters, digits and - (like orders-daily)',
    'nodes[0].id: expected an id of letters, digits, _ and - (starting with a letter or _), no dots',
    'nodes[0].type: expected a node type like postgres.read (<connector>.<verb>)',
    'nodes[0].site: expected a site name of lower-case letters, digits and -',
  ]);
});

test('a pipeline without nodes is rejected', () => {
  assert.deepEqual(errorsOf(spec([])), ['nodes: must not be empty']);
});

test('bad durations in defaults and on nodes are reported with a hint', () => {
  const errors = errorsOf(spec([{ ...sleepNode('a'), timeout: '5 minutes', retry: { maximumInterval: 0 } }], { defaults: { timeout: '10x' } }));
  assert.deepEqual(errors, [
    'defaults.timeout: invalid duration "10x": use a number of milliseconds or a string like 500ms, 30s, 10m, 2h',
    'nodes[0].retry.maximumInterval: must be longer than 0',
    'nodes[0].timeout: invalid duration "5 minutes": use a number of milliseconds or a string like 500ms, 30s, 10m, 2h',
  ]);
});

test('retry policies are checked field by field', () => {
  const errors = errorsOf(spec([{ ...sleepNode('a'), retry: { maximumAttempts: 0, backoffCoefficient: 0.5, maxAttempts: 3 } }]));
  assert.deepEqual(errors, [
    'nodes[0].retry.maximumAttempts: must be >= 1',
    'nodes[0].retry.backoffCoefficient: must be >= 1',
    'nodes[0].retry.maxAttempts: unknown key "maxAttempts" (did you mean "maximumAttempts"?)',
  ]);
});

test('param defaults must match the declared type, and param names and types are checked', () => {
  const errors = errorsOf(
    spec([sleepNode('a')], {
      params: { limit: { type: 'number', default: '10' }, flag: { type: 'bool' }, 'bad-name': { type: 'string' } },
    }),
  );
  assert.deepEqual(errors, [
    "params.limit.default: expected number to match the param's type, got string",
    'params.flag.type: expected one of "string", "number", "boolean", "list", got "bool"',
    'params["bad-name"]: expected a param name of letters, digits and _',
  ]);
});

test('duplicate node ids name the earlier node', () => {
  const errors = errorsOf(spec([readNode('extract'), writeNode('load', ['extract']), sleepNode('nap'), writeNode('load', ['extract'])]));
  assert.deepEqual(errors, ['nodes[3].id: duplicate id "load" (also nodes[1])']);
});

test('needs naming an unknown node or the node itself are errors', () => {
  const errors = errorsOf(spec([sleepNode('extract'), sleepNode('clean', ['extrct', 'clean', 'ghost'])]));
  assert.deepEqual(errors, [
    'nodes[1].needs[0]: unknown node "extrct" (did you mean "extract"?)',
    'nodes[1].needs[1]: a node cannot need itself ("clean")',
    'nodes[1].needs[2]: unknown node "ghost"',
  ]);
});

test('a two-node cycle is named at the needs of its first node', () => {
  assert.deepEqual(errorsOf(spec([sleepNode('a', ['b']), sleepNode('b', ['a'])])), ['nodes[0].needs: cycle a -> b -> a']);
});

test('a longer cycle is named in data-flow order, and a second independent cycle is reported too', () => {
  const errors = errorsOf(
    spec([
      sleepNode('start'),
      sleepNode('a', ['start', 'c']),
      sleepNode('b', ['a']),
      sleepNode('c', ['b']),
      sleepNode('x', ['y']),
      sleepNode('y', ['x']),
    ]),
  );
  assert.deepEqual(errors, ['nodes[1].needs: cycle a -> b -> c -> a', 'nodes[4].needs: cycle x -> y -> x']);
});

test('an unknown node type lists the known ones', () => {
  assert.deepEqual(errorsOf(spec([{ id: 'r', type: 'postgres.reed', config: {} }])), [
    `nodes[0].type: unknown node type "postgres.reed"; known types: ${KNOWN_TYPES}`,
  ]);
});

test('every problem is reported together: shape, graph, type, config and template errors at once', () => {
  const errors = errorsOf({
    name: 'orders',
    maxParallel: 0,
    nodes: [
      readNode('extract', { need: [] }),
      { id: 'clean', type: 'transform.mapp', needs: ['extract'] },
      writeNode('load', ['extrct'], { table: 'not a table', query: '{{ params.since }}' }),
    ],
  });
  assert.deepEqual(errors, [
    'maxParallel: must be >= 1',
    'nodes[0].need: unknown key "need" (did you mean "needs"?)',
    `nodes[1].type: unknown node type "transform.mapp"; known types: ${KNOWN_TYPES}`,
    'nodes[2].needs[0]: unknown node "extrct" (did you mean "extract"?)',
    'nodes[2].config.table: expected a table name like orders or dw.orders',
    'nodes[2].config.query: unknown key "query"',
    'nodes[2].config.query: {{ params.since }}: unknown param "since"; no params are declared',
  ]);
});

test('formatPath writes indexes in brackets and quotes keys that are not identifiers', () => {
  assert.equal(formatPath(['nodes', 2, 'config', 'table']), 'nodes[2].config.table');
  assert.equal(formatPath([]), '');
  assert.equal(formatPath(['params', 'bad-name', 'default']), 'params["bad-name"].default');
  assert.equal(formatPath([0, 'a']), '[0].a');
});

test('the site name "central" is rejected because it names the central workers', () => {
  const result = validatePipeline({ name: 'p', nodes: [{ id: 'a', type: 'control.sleep', site: 'central', config: { ms: 1 } }] }, catalog);
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.errors.some((e) => e.path === 'nodes[0].site' && /reserved/.test(e.message)), JSON.stringify(result));
});

test('concurrency: a limit of 1 to 1,000 runs, onConflict queue (the default), skip or fail; anything else is named at its path', () => {
  const ok = validatePipeline(spec([sleepNode('a')], { concurrency: { limit: 2 } }), catalog);
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.errors));
  assert.deepEqual(ok.spec.concurrency, { limit: 2, onConflict: 'queue' });
  const absent = validatePipeline(spec([sleepNode('a')]), catalog);
  assert.ok(absent.ok && absent.spec.concurrency === undefined, 'no limit unless the spec says so');
  const errors = (concurrency: unknown) => errorsOf(spec([sleepNode('a')], { concurrency }));
  assert.deepEqual(errors({ limit: 0 }), ['concurrency.limit: must be >= 1']);
  assert.deepEqual(errors({ limit: -3, onConflict: 'fail' }), ['concurrency.limit: must be >= 1']);
  assert.deepEqual(errors({ limit: 1001 }), ['concurrency.limit: must be <= 1000']);
  assert.deepEqual(errors({ limit: 1e300 }), ['concurrency.limit: must be <= 1000']);
  assert.deepEqual(errors({ limit: 1.5 }), ['concurrency.limit: expected an integer']);
  assert.deepEqual(errors({ limit: '2' }), ['concurrency.limit: expected number, got string']);
  assert.deepEqual(errors({}), ['concurrency.limit: required']);
  assert.deepEqual(errors({ limit: 1, onConflict: 'wait' }), ['concurrency.onConflict: expected one of queue, skip, fail']);
  assert.deepEqual(errors({ limit: 1, onconflict: 'skip' }), ['concurrency.onconflict: unknown key "onconflict" (did you mean "onConflict"?)']);
  assert.deepEqual(errors(3), ['concurrency: expected object, got number']);
  assert.deepEqual(errors(null), ['concurrency: expected object, got null']);
});
