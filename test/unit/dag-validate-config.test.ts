import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PG, errorsOf, readNode, sleepNode, spec, writeNode } from './dag-fixtures.js';
import { catalog } from '../../src/catalog.js';

/** Every node type that produces a dataset, as the validator lists them. */
const PRODUCERS = [...catalog.values()].filter((d) => d.producesDataset).map((d) => d.type).sort().join(', ');

function mapNode(id: string, needs: string[], config: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'transform.map', needs, config };
}

test('config is checked against its node type, with paths inside the config', () => {
  const errors = errorsOf(
    spec([
      readNode('extract', { config: { connection: PG, query: 'select 1', batchSize: 200_000 } }),
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: PG, mode: 'merge' } },
    ]),
  );
  assert.deepEqual(errors, [
    'nodes[0].config.batchSize: must be <= 100000',
    'nodes[1].config.table: required',
    'nodes[1].config.mode: expected one of "append", "replace", "upsert", got "merge"',
  ]);
});

test('upsert without a key is reported at config.key, alongside the config\'s other problems', () => {
  const load = writeNode('load', ['extract'], { mode: 'upsert', table: '1x', batchSize: 'many' });
  assert.deepEqual(errorsOf(spec([readNode('extract'), load])), [
    'nodes[1].config.table: expected a table name like orders or dw.orders',
    'nodes[1].config.batchSize: unknown key "batchSize"',
    'nodes[1].config.key: required when mode is upsert',
  ]);
});

test('a single template may stand for a config value, and a secret ref for a credential', () => {
  const errors = errorsOf(
    spec(
      [
        readNode('extract', {
          config: { connection: { $secret: 'ORDERS_DB' }, query: 'select * from t where x > $1', params: ['{{ params.since }}'], batchSize: '{{ params.batch }}' },
        }),
        writeNode('load', ['extract'], { connection: { $secret: 'DW' }, mode: '{{ params.mode }}', table: '{{ params.table }}' }),
      ],
      { params: { since: { type: 'string' }, batch: { type: 'number' }, mode: { type: 'string' }, table: { type: 'string' } } },
    ),
  );
  assert.deepEqual(errors, []);
});

test('a secret ref outside a credential field and a template inside SQL are refused at their paths', () => {
  const errors = errorsOf(
    spec(
      [
        readNode('extract', { config: { connection: PG, query: 'select * from {{ params.table }}' } }),
        writeNode('load', ['extract'], { connection: { $secret: 'DW' }, table: { $secret: 'TABLE' }, key: [{ $secret: 'KEY_COLUMN' }], mode: 'upsert' }),
      ],
      { params: { table: { type: 'string' } } },
    ),
  );
  assert.deepEqual(errors, [
    'nodes[0].config.query: a {{ }} template may not stand inside SQL text: write $1, $2 ... (or :name) and pass the values in params, which binds them',
    'nodes[1].config.table: a { $secret } may stand only in a credential field (a connection, token, password, authentication header or access key); this field is not one',
    'nodes[1].config.key[0]: a { $secret } may stand only in a credential field (a connection, token, password, authentication header or access key); this field is not one',
  ]);
});

test('a template embedded in text is checked as the string it will become', () => {
  const errors = errorsOf(spec([readNode('extract', { config: { connection: PG, query: 'q', batchSize: '{{ params.n }}0' } })], {
    params: { n: { type: 'number' } },
  }));
  assert.deepEqual(errors, ['nodes[0].config.batchSize: expected number, got string']);
});

test('an unknown config key is an error even when its value is a template or a secret', () => {
  const errors = errorsOf(spec([readNode('extract', { config: { connection: PG, query: 'q', extra: '{{ run.id }}', pass: { $secret: 'P' } } })]));
  assert.deepEqual(errors, [
    'nodes[0].config.extra: unknown key "extra"',
    'nodes[0].config.pass: unknown key "pass"',
    'nodes[0].config.pass: a { $secret } may stand only in a credential field (a connection, token, password, authentication header or access key); this field is not one',
  ]);
});

test('secret names must be upper-case identifiers, and a secret ref holds nothing else', () => {
  const errors = errorsOf(
    spec([
      readNode('extract', { config: { connection: { $secret: 'orders-db' }, query: 'q' } }),
      writeNode('load', ['extract'], { connection: { $secret: 'DW', fallback: PG } }),
    ]),
  );
  assert.deepEqual(errors, [
    'nodes[0].config.connection.$secret: invalid secret name "orders-db": use upper-case letters, digits and _ (like ORDERS_DB)',
    'nodes[1].config.connection: a secret reference holds only "$secret"; remove "fallback"',
  ]);
});

test('params referenced by templates must be declared', () => {
  const errors = errorsOf(
    spec([readNode('extract', { config: { connection: PG, query: 'select $1', params: ['{{ params.sinse }}', '{{ params.since }}'] } })], {
      params: { since: { type: 'string' } },
    }),
  );
  assert.deepEqual(errors, ['nodes[0].config.params[0]: {{ params.sinse }}: unknown param "sinse" (did you mean "since"?); declared params: since']);
});

test('node outputs may be read only from upstream nodes, directly or transitively', () => {
  const query = (ref: string): Record<string, unknown> => ({ connection: PG, query: 'select $1', params: [`{{ ${ref} }}`] });
  const errors = errorsOf(
    spec([
      sleepNode('first'),
      sleepNode('second', ['first']),
      readNode('ok', { needs: ['second'], config: query('nodes.first.outputs.sleptMs') }),
      readNode('sibling', { config: query('nodes.ok.outputs.rows') }),
      readNode('typo', { needs: ['first'], config: query('nodes.frist.outputs.rows') }),
      readNode('own', { config: query('nodes.own.outputs.rows') }),
      readNode('nofield', { needs: ['first'], config: query('nodes.first.sleptMs') }),
    ]),
  );
  assert.deepEqual(errors, [
    'nodes[3].config.params[0]: {{ nodes.ok.outputs.rows }}: "ok" is not upstream of "sibling"; add it to needs (directly or through another node)',
    'nodes[4].config.params[0]: {{ nodes.frist.outputs.rows }}: unknown node "frist" (did you mean "first"?)',
    'nodes[5].config.params[0]: {{ nodes.own.outputs.rows }}: a node cannot read its own outputs',
    'nodes[6].config.params[0]: {{ nodes.first.sleptMs }}: expected nodes.<id>.outputs.<field>',
  ]);
});

test('run fields, unknown roots and expressions in templates are checked', () => {
  const errors = errorsOf(
    spec([readNode('extract', { config: { connection: PG, query: 'select $1', params: ['{{ run.id }} {{ run.user }} {{ env.HOME }} {{ run.id | upper }}'] } })]),
  );
  assert.deepEqual(errors, [
    'nodes[0].config.params[0]: {{ run.user }}: expected run.id, run.pipeline or run.scheduledAt',
    'nodes[0].config.params[0]: {{ env.HOME }}: unknown reference "env"; templates can use params.<name>, nodes.<id>.outputs.<field>, run.id and run.pipeline',
    'nodes[0].config.params[0]: {{ run.id | upper }}: not a plain path; templates are lookups like params.name or nodes.<id>.outputs.<field>, with no expressions',
  ]);
});

test('when conditions are checked like config templates', () => {
  const errors = errorsOf(
    spec([
      readNode('extract'),
      { ...sleepNode('nap', ['extract']), when: '{{ nodes.extract.outputs.rows }}' },
      { ...sleepNode('late'), when: '{{ nodes.extract.outputs.rows }} and {{ params.go }}' },
    ]),
  );
  assert.deepEqual(errors, [
    'nodes[2].when: {{ nodes.extract.outputs.rows }}: "extract" is not upstream of "late"; add it to needs (directly or through another node)',
    'nodes[2].when: {{ params.go }}: unknown param "go"; no params are declared',
  ]);
});

test('a node that reads a dataset needs an upstream that produces one', () => {
  assert.deepEqual(errorsOf(spec([sleepNode('nap'), writeNode('load', ['nap'])])), [
    `nodes[1].needs: postgres.write reads a dataset, so it needs an upstream node that produces one (${PRODUCERS})`,
  ]);
  assert.deepEqual(errorsOf(spec([mapNode('clean', [])])), [
    `nodes[0].needs: transform.map reads a dataset, so it needs an upstream node that produces one (${PRODUCERS})`,
  ]);
});

test('a node with several upstream datasets must name its input', () => {
  const nodes = [readNode('extract_a'), readNode('extract_b'), sleepNode('nap'), writeNode('load', ['extract_a', 'nap', 'extract_b'])];
  assert.deepEqual(errorsOf(spec(nodes)), [
    'nodes[3].config.input: required when a node reads from several upstream datasets (extract_a, extract_b)',
  ]);
  nodes[3] = writeNode('load', ['extract_a', 'nap', 'extract_b'], { input: 'extract_b' });
  assert.deepEqual(errorsOf(spec(nodes)), []);
  nodes[3] = writeNode('load', ['extract_a', 'nap', 'extract_b'], { input: 'nap' });
  assert.deepEqual(errorsOf(spec(nodes)), [
    'nodes[3].config.input: "nap" is not a direct upstream node that produces a dataset; expected one of extract_a, extract_b',
  ]);
});

test('a single upstream dataset needs no input, and transforms chain', () => {
  assert.deepEqual(errorsOf(spec([readNode('extract'), sleepNode('nap'), mapNode('clean', ['extract', 'nap']), writeNode('load', ['clean'])])), []);
});
