// How the suite calls a connector directly, the way the engine does (src/activities/kinds/*): the
// config with its secrets resolved and parsed by the worker's own code, and the contexts each kind
// gets. One run id per suite run, so a sink's second attempt is the same run as its first.
import type { z } from 'zod';
import type { ColumnSchema, ConnectorContext, Row, SinkContext, SourceBatch, SourceContext, TaskContext } from '../../src/kit/index.js';
import { parseNodeConfig } from '../../src/activities/node-config.js';
import { resolveSecrets } from '../../src/activities/secrets.js';
import { decodeCopyText } from '../../src/kit/copy-text.js';
import { createLogger } from '../../src/log.js';
import { uniqueName } from '../helpers/env.js';
import { testAccess, testPolicy } from '../helpers/access.js';

const log = createLogger(process.env.LOG_LEVEL ?? 'silent');

export interface Identity {
  runId: string;
  nodeId: string;
  attempt?: number;
  signal?: AbortSignal;
}

export function newIdentity(nodeId: string): Identity {
  return { runId: uniqueName('conformance'), nodeId };
}

export function connectorContext(id: Identity): ConnectorContext {
  return { runId: id.runId, pipeline: 'conformance', nodeId: id.nodeId, attempt: id.attempt ?? 1, log, signal: id.signal ?? new AbortController().signal, access: testAccess };
}

export function sourceContext(id: Identity, cursor: unknown): SourceContext {
  return { ...connectorContext(id), cursor, state: undefined, setState: () => undefined };
}

export function sinkContext(id: Identity, schema: ColumnSchema[]): SinkContext {
  return { ...connectorContext(id), schema };
}

export function taskContext(id: Identity, checkpoint: unknown, stopRequested: () => boolean, commits: unknown[]): TaskContext {
  return { ...connectorContext(id), checkpoint, commit: (cp) => void commits.push(cp), stopRequested };
}

/** The secret values `raw` refers to, as the worker substitutes them. */
export function secretValues(raw: unknown, secrets: Record<string, string>): string[] {
  return resolveSecrets(raw, secrets, 'the conformance suite', testPolicy).secrets;
}

/** `raw` as a node sees it: secrets resolved from `secrets`, parsed (defaults filled in) by the node type's schema. */
export function nodeConfig<S extends z.ZodType>(schema: S, raw: unknown, secrets: Record<string, string>): z.output<S> {
  return parseNodeConfig(schema, raw, secrets, 'the conformance suite', testPolicy).config;
}

/** The rows of a source batch, decoded when it comes as COPY text. */
export function batchRows(batch: SourceBatch, schema: readonly ColumnSchema[]): Row[] {
  return batch.copy ? decodeCopyText(batch.copy.data, schema, 'copy batch') : batch.rows;
}
