// The connector contract. A connector is a folder under connectors/ that exports one Connector:
// its node types, each a source (reads batches), a sink (writes batches idempotently), a
// transform (maps batches) or a task (anything else). The engine (src/activities/kinds/) does the
// rest: staging, checkpoints, pause, heartbeats, dead letters and counts.
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Access } from './access.js';
import type { ColumnSchema, Row } from './dataset.js';

/** A record that could not be read, transformed or loaded, kept in the node's dead-letter dataset. */
export interface BadRecord {
  /** Why it was rejected, e.g. `field "amount": cannot cast "abc" to float`. */
  reason: string;
  /** Where it came from in the node's input, e.g. `part 3 row 17` or `line 42`. */
  position: string;
  record: unknown;
}

/** What every connector call gets: identity, logging and cancellation. */
export interface ConnectorContext {
  runId: string;
  pipeline: string;
  nodeId: string;
  attempt: number;
  log: Logger;
  /** Aborted on pause, cancel or worker shutdown: stop waiting, the engine checkpoints. */
  signal: AbortSignal;
  /**
   * Aborted when the engine gave up on this attempt because it stalled (no rows or parts moved
   * for the node's stallTimeout): drop connections and sockets at once, without waiting for any
   * answer. The engine has already failed the attempt (and aborted `signal` too); whatever the
   * abandoned call still returns is dropped.
   */
  abandon?: AbortSignal;
  /** The site's policy: check every file path and every host before opening it. */
  access: Access;
}

/** Rows already encoded as PostgreSQL COPY text (copy-text.ts), staged as they are. */
export interface CopyChunk {
  data: Buffer;
  rows: number;
}

/** One part of a COPY text dataset handed to a sink; `decode()` gives its rows (e.g. to isolate rows the destination refuses). */
export interface CopyPart extends CopyChunk {
  index: number;
  decode(): Row[];
}

export interface SourceBatch {
  rows: Row[];
  /** Instead of `rows`: the batch as COPY text, for sources that can hand it over without parsing. */
  copy?: CopyChunk;
  /** Position after this batch: a read resumed from it yields exactly the rows that follow. */
  cursor: unknown;
  /** Column schema; required with the first batch that has rows. */
  schema?: ColumnSchema[];
  /** Records the source could not parse. */
  bad?: BadRecord[];
}

export interface SourceContext extends ConnectorContext {
  /** Resume position (undefined: from the start). */
  cursor: unknown;
  /** State a previous successful run of this node saved (incremental reads), if any. */
  state: unknown;
  /** Records state to save once this run succeeds (e.g. a high-water mark). */
  setState(state: unknown): void;
}

export interface SinkContext extends ConnectorContext {
  /** Schema of the dataset being loaded. */
  schema: ColumnSchema[];
}

export interface SinkWriter {
  /** Commits batch `index` exactly once; a batch committed before (by any attempt) is skipped. */
  write(index: number, rows: Row[]): Promise<{ skipped: boolean; rejected?: BadRecord[] }>;
  /**
   * Optional fast path for a dataset staged as COPY text: commits consecutive parts, each exactly
   * once like `write`, and may do so in one transaction. Returns how many were committed before.
   */
  writeCopy?(parts: CopyPart[]): Promise<{ skipped: number; rejected?: BadRecord[] }>;
  /** How many `writeCopy` calls may run at once, on different groups of parts (default 1). */
  copyConcurrency?: number;
  /** After the last batch; must be idempotent (a retry may call it again). Returns extra outputs. */
  finish(summary: { batches: number; rows: number }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface ColumnStep {
  from: number;
  cast?: (value: unknown) => unknown;
}

export interface PreparedTransform {
  schema: ColumnSchema[];
  /** Maps one batch; `position(i)` names row i of the batch for bad records. */
  apply(rows: Row[], position: (i: number) => string): { rows: Row[]; bad: BadRecord[] };
  /**
   * Set when each output column is one input column (at index `from`), unchanged or converted on
   * its own by `cast` (which throws DataError for a bad value): a rename, drop, reorder or
   * per-column cast. The engine may then rewrite encoded parts field by field instead of
   * decoding whole rows; `apply` must give the same result.
   */
  columns?: ColumnStep[];
  /** Rebuilds cross-batch state (e.g. keys seen) from output already staged, when resuming. */
  restore?(output: Row[]): void;
}

interface NodeTypeBase<S extends z.ZodType> {
  verb: string;
  description: string;
  config: S;
  /** Fast connectivity/permission test of a config with secrets resolved; throws with a clear message. */
  check?(config: z.output<S>, ctx: ConnectorContext): Promise<void>;
}

export interface SourceNodeType<S extends z.ZodType = z.ZodType> extends NodeTypeBase<S> {
  kind: 'source';
  read(config: z.output<S>, ctx: SourceContext): AsyncIterable<SourceBatch>;
}

export interface SinkNodeType<S extends z.ZodType = z.ZodType> extends NodeTypeBase<S> {
  kind: 'sink';
  open(config: z.output<S>, ctx: SinkContext): Promise<SinkWriter>;
}

export interface TransformNodeType<S extends z.ZodType = z.ZodType> extends NodeTypeBase<S> {
  kind: 'transform';
  prepare(config: z.output<S>, input: ColumnSchema[]): PreparedTransform;
}

export interface TaskContext extends ConnectorContext {
  /** Where an earlier execution or attempt of this node stopped (what it passed to `commit`), if it did. */
  checkpoint: unknown;
  /** Records the latest position; it goes out with the next heartbeat and comes back as `checkpoint`. */
  commit(checkpoint: unknown): void;
  /** True once the workflow asked this execution to stop (pause, cancel, shutdown): return `paused`. */
  stopRequested(): boolean;
}

/** How a task ends: its outputs, or paused at a checkpoint it continues from. */
export type TaskOutcome = { outputs: Record<string, unknown> } | { paused: true; checkpoint: unknown };

export interface TaskNodeType<S extends z.ZodType = z.ZodType> extends NodeTypeBase<S> {
  kind: 'task';
  run(config: z.output<S>, ctx: TaskContext): Promise<TaskOutcome>;
}

export type AnyNodeType = SourceNodeType | SinkNodeType | TransformNodeType | TaskNodeType;

export interface Connector {
  /** The `<connector>` of node types `<connector>.<verb>`. */
  name: string;
  description: string;
  nodes: AnyNodeType[];
}

/** Declares a node type with its config type inferred from its schema. */
export function source<S extends z.ZodType>(def: Omit<SourceNodeType<S>, 'kind'>): SourceNodeType {
  return { kind: 'source', ...def } as unknown as SourceNodeType;
}
export function sink<S extends z.ZodType>(def: Omit<SinkNodeType<S>, 'kind'>): SinkNodeType {
  return { kind: 'sink', ...def } as unknown as SinkNodeType;
}
export function transform<S extends z.ZodType>(def: Omit<TransformNodeType<S>, 'kind'>): TransformNodeType {
  return { kind: 'transform', ...def } as unknown as TransformNodeType;
}
export function task<S extends z.ZodType>(def: Omit<TaskNodeType<S>, 'kind'>): TaskNodeType {
  return { kind: 'task', ...def } as unknown as TaskNodeType;
}
