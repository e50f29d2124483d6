// What a connector hands the conformance suite: small, typed examples of its node types (a config
// that works, inputs with bad records, configs that must fail) and, for sinks, an independent way
// to read the destination back. Everything the suite concludes from them is in the suite itself.
import type { ColumnSchema, Row } from '../../src/kit/index.js';

export interface ConnectorFixture {
  /**
   * Secret values by name. Configs refer to them as `{ $secret: NAME }`, as a pipeline file does;
   * the suite resolves them as a worker would and checks that no message ever shows a value.
   */
  secrets?: Record<string, string>;
  /** One fixture per node type, by verb (`read`, `write`, ...); every node type needs one. */
  nodes: Record<string, NodeFixture>;
  /** Releases what the setup made (servers, databases, temporary directories). */
  close?(): Promise<void>;
}

export type NodeFixture = SourceFixture | SinkFixture | TransformFixture | TaskFixture;

/** A config `check` must refuse, and what its message must name so a person knows what to fix. */
export interface BrokenConfig {
  /** What is wrong, for the test's name: `unreachable host`, `wrong token`, `missing file`. */
  why: string;
  config: unknown;
  /** Text the message must contain (a config path like `config.url`, a host, a file). */
  names: string | RegExp;
}

/** A config the node type's schema must refuse, blaming `path` (relative to the node: `config.columns`). */
export interface InvalidConfig {
  config: unknown;
  path: string;
}

interface NodeFixtureBase {
  /** Configs `check` refuses (required when the node type has a check; its good config is the fixture's own). */
  broken?: BrokenConfig[];
  /** Configs the schema refuses besides those the suite derives (unknown and mistyped fields). */
  invalid?: InvalidConfig[];
}

export interface SourceFixture extends NodeFixtureBase {
  kind: 'source';
  /** A config that reads `rows` in several batches (at least 4 with rows). */
  config: unknown;
  /** Every row `config` reads, in order, with the values the source hands over. */
  rows: Row[];
  /** Other configs that read the same `rows` another way (e.g. a query instead of a table). */
  variants?: Record<string, unknown>;
  /** A config whose input holds bad records, and where each one is, in order (`bad.csv line 3`). */
  bad?: { config: unknown; positions: string[] };
}

export interface SinkFixture extends NodeFixtureBase {
  kind: 'sink';
  /** A config that writes to a fresh destination named `dest` (letters, digits and _ only). */
  config(dest: string): unknown;
  /** Every row the destination `dest` holds, read without the connector's own code. */
  readBack(dest: string): Promise<Row[]>;
}

export interface TransformFixture extends NodeFixtureBase {
  kind: 'transform';
  config: unknown;
  /** Its input; default: the suite's sample dataset (sample.ts). */
  input?: { schema: ColumnSchema[]; rows: Row[] };
  /** Rows out and bad records it makes of the input. */
  expect: { rows: number; bad: number };
}

export interface TaskFixture extends NodeFixtureBase {
  kind: 'task';
  /** A config whose run takes between about one and five seconds. */
  config: unknown;
}
