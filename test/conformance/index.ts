// The conformance suite every connector runs: `conformance(connector, setup)` in the connector's
// connectors/<name>/test/conformance.test.ts walks its node types and runs the same checks for
// each kind, against the real services the fixture sets up. The checks themselves live next to
// this file, one per concern; fixture.ts says what a connector has to provide.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AnyNodeType, Connector, SinkNodeType, SourceNodeType, TaskNodeType, TransformNodeType } from '../../src/kit/index.js';
import { assertCheckPasses, assertCheckRefuses, assertSchemaRefusals } from './config.js';
import { assertPauseResume } from './engine.js';
import type { ConnectorFixture, NodeFixture, SinkFixture, SourceFixture, TaskFixture, TransformFixture } from './fixture.js';
import { assertRetryWritesOnce, RETRY_SCENARIOS } from './sink.js';
import { assertBadRecords, assertReadsRows, assertResumesExactly, fullRead, type FullRead } from './source.js';
import { assertTaskResumes } from './task.js';
import { assertColumnsMatchApply, assertResumesAtAnyPart, assertTransformConforms } from './transform.js';

export type { BrokenConfig, ConnectorFixture, InvalidConfig, NodeFixture, SinkFixture, SourceFixture, TaskFixture, TransformFixture } from './fixture.js';
export { SAMPLE_ROWS, SAMPLE_SCHEMA, sampleRow } from './sample.js';

/** Batches with rows a source fixture's read must come in, so resuming has somewhere to resume from. */
const MIN_BATCHES = 4;

type FixtureOf<K extends NodeFixture['kind']> = Extract<NodeFixture, { kind: K }>;

/** A fresh destination name for a sink: letters, digits and _ (a table, a directory, a prefix). */
function destName(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
}

/** Declares the suite for `connector`; `setup` (run once, before the tests) starts what its fixture needs. */
export function conformance(connector: Connector, setup: () => Promise<ConnectorFixture>): void {
  let fixture: ConnectorFixture | undefined;
  before(async () => {
    fixture = await setup();
  });
  after(async () => {
    await fixture?.close?.();
  });

  const loaded = (): ConnectorFixture => {
    assert.ok(fixture, `${connector.name}: the fixture was set up`);
    return fixture;
  };
  const secrets = (): Record<string, string> => loaded().secrets ?? {};
  function nodeFixture<K extends NodeFixture['kind']>(node: AnyNodeType & { kind: K }): FixtureOf<K> {
    const f = loaded().nodes[node.verb];
    assert.ok(f, `${connector.name}.${node.verb}: the fixture has an entry for it (nodes.${node.verb})`);
    assert.equal(f.kind, node.kind, `${connector.name}.${node.verb} is a ${node.kind}: its fixture must be one`);
    return f as FixtureOf<K>;
  }

  test(`${connector.name}: the fixture covers exactly its node types, each with its kind`, () => {
    const verbs = connector.nodes.map((n) => n.verb);
    assert.deepEqual(Object.keys(loaded().nodes).sort(), [...verbs].sort());
    for (const node of connector.nodes) nodeFixture(node);
  });

  for (const node of connector.nodes) {
    const type = `${connector.name}.${node.verb}`;
    describe(type, () => {
      configTests(type, node, () => nodeFixture(node), secrets);
      if (node.kind === 'source') sourceTests(type, node, () => nodeFixture(node), secrets);
      if (node.kind === 'sink') sinkTests(type, node, () => nodeFixture(node), secrets);
      if (node.kind === 'transform') transformTests(type, node, () => nodeFixture(node), secrets);
      if (node.kind === 'task') taskTests(type, node, () => nodeFixture(node), secrets);
    });
  }
}

type Secrets = () => Record<string, string>;

function goodConfig(f: NodeFixture): unknown {
  return f.kind === 'sink' ? f.config(destName('check')) : f.config;
}

function configTests(type: string, node: AnyNodeType, fixture: () => NodeFixture, secrets: Secrets): void {
  test('config: the schema takes the fixture config and refuses unknown, mistyped and invalid fields at their path', () => {
    assertSchemaRefusals(type, goodConfig(fixture()), fixture().invalid);
  });
  if (node.check === undefined) return;
  test('check: passes a good config', async () => {
    await assertCheckPasses(type, node, goodConfig(fixture()), secrets());
  });
  test('check: refuses each broken config quickly, naming what to fix and showing no secret', async () => {
    const broken = fixture().broken ?? [];
    assert.ok(broken.length > 0, `${type} has a check: its fixture lists broken configs for it to refuse`);
    for (const b of broken) await assertCheckRefuses(type, node, b, secrets());
  });
}

function sourceTests(type: string, node: SourceNodeType, fixture: () => SourceFixture, secrets: Secrets): void {
  const reads = new Map<string, Promise<FullRead>>();
  const read = (name: string, config: unknown) => {
    if (!reads.has(name)) reads.set(name, fullRead(`${type} (${name})`, node, config, secrets()));
    return reads.get(name)!;
  };
  const configs = (): [string, unknown][] => [['config', fixture().config], ...Object.entries(fixture().variants ?? {}).map(([n, c]): [string, unknown] => [`variant ${n}`, c])];

  test('read: yields the fixture rows in several batches, with a valid schema and rows that fit it; bad records say why, where and what', async () => {
    for (const [name, config] of configs()) assertReadsRows(`${type} (${name})`, await read(name, config), fixture().rows, MIN_BATCHES);
    // A source that cannot meet a bad record (a typed database) declares no bad input.
    const bad = fixture().bad;
    if (bad) assertBadRecords(type, await read('bad input', bad.config), bad.positions);
  });
  test('read: resumed from any batch cursor, yields exactly the rows and bad records after that batch', async () => {
    const all = [...configs(), ...(fixture().bad ? [['bad input', fixture().bad!.config] as [string, unknown]] : [])];
    for (const [name, config] of all) await assertResumesExactly(`${type} (${name})`, node, config, secrets(), await read(name, config));
  });
  test('engine: paused mid-read through Temporal and resumed, it stages every row exactly once', async () => {
    const full = await read('config', fixture().config);
    const parts = full.rows.filter((r) => r.length > 0).length;
    await assertPauseResume(type, fixture().config, secrets(), fixture().rows, parts);
  });
}

function sinkTests(type: string, node: SinkNodeType, fixture: () => SinkFixture, secrets: Secrets): void {
  const copyScenario = RETRY_SCENARIOS.find((s) => s.copy);
  RETRY_SCENARIOS.filter((s) => !s.copy).forEach((scenario, i) => {
    test(`write: ${scenario.name}; attempt 2 rewrites every part and finishes twice: each row lands once${i === 0 ? ' (also through writeCopy, when the writer has it)' : ''}`, async () => {
      assert.ok(await assertRetryWritesOnce(type, node, fixture(), secrets(), scenario, destName(`retry${i}`)), `${type}: the ${scenario.name} scenario ran`);
      // COPY text parts reach only writers that take them (writeCopy); for those the same must hold.
      if (i === 0 && copyScenario) await assertRetryWritesOnce(type, node, fixture(), secrets(), copyScenario, destName('retrycopy'));
    });
  });
}

function transformTests(type: string, node: TransformNodeType, fixture: () => TransformFixture, secrets: Secrets): void {
  test('apply: a valid schema, rows that fit it, bad records at the engine position carrying their input row; declared columns give the same rows through the COPY rewrite', () => {
    assertTransformConforms(type, node, fixture(), secrets());
    // Only transforms that declare `columns` (map) take the COPY text fast path; for them it must agree with apply.
    assertColumnsMatchApply(type, node, fixture(), secrets());
  });
  test('resume: restarted at any part, the rest of the output is the same', () => {
    assertResumesAtAnyPart(type, node, fixture(), secrets());
  });
}

function taskTests(type: string, node: TaskNodeType, fixture: () => TaskFixture, secrets: Secrets): void {
  test('run: stopped half-way it hands back a checkpoint; from it, the run finishes with less left to do', async () => {
    await assertTaskResumes(type, node, fixture(), secrets());
  });
}
