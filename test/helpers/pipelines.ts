// Building and starting runs directly through the Temporal client (the REST layer has its own tests).
import { z } from 'zod';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { catalog } from '../../src/catalog.js';
import { makeCatalog } from '../../src/dag/catalog.js';
import { validatePipeline } from '../../src/dag/validate.js';
import type { PipelineSpec } from '../../src/dag/spec.js';
import { SLUICE_PIPELINE, SLUICE_STATUS, type RunInput, type RunProgress } from '../../src/workflows/messages.js';
import type { NodeHeartbeat, NodeTaskInput, NodeTaskResult } from '../../src/workflows/node-task.js';
import { uniqueName } from './env.js';

/** The real catalog plus failure-injecting node types that only tests register. */
export const testCatalog = makeCatalog([
  ...catalog.values(),
  {
    type: 'test.flaky',
    description: 'fails the first `failures` attempts, then succeeds',
    config: z.object({ failures: z.number().int() }),
    consumesDataset: false,
    producesDataset: false,
  },
  {
    type: 'test.fail',
    description: 'always fails with `message`',
    config: z.object({ message: z.string() }),
    consumesDataset: false,
    producesDataset: false,
  },
  {
    type: 'test.list',
    description: 'outputs `items`: a list of `count` objects { n, name }',
    config: z.object({ count: z.number().int() }),
    consumesDataset: false,
    producesDataset: false,
  },
  {
    type: 'test.item',
    description: 'one instance of a mapped node: outputs what it was given (a test file decides which items fail)',
    config: z.object({ n: z.number().int(), name: z.string().optional() }),
    consumesDataset: false,
    producesDataset: false,
  },
]);

/** Activities for the test-only node types. */
export const testActivities = {
  'test.flaky': async (task: NodeTaskInput): Promise<NodeTaskResult> => {
    const attempt = Context.current().info.attempt;
    const failures = (task.config as { failures: number }).failures;
    if (attempt <= failures) throw ApplicationFailure.retryable(`flaky failure on attempt ${attempt}`, 'Flaky', { attempt, stats: { rowsIn: 0, rowsOut: 0 } });
    return { status: 'done', outputs: { succeededOnAttempt: attempt }, stats: { rowsIn: 0, rowsOut: 0 }, attempt };
  },
  'test.list': async (task: NodeTaskInput): Promise<NodeTaskResult> => {
    const count = (task.config as { count: number }).count;
    const items = Array.from({ length: count }, (_, n) => ({ n, name: `item-${n}` }));
    return { status: 'done', outputs: { items }, stats: { rowsIn: 0, rowsOut: count }, attempt: Context.current().info.attempt };
  },
  'test.fail': async (task: NodeTaskInput): Promise<NodeTaskResult> => {
    throw ApplicationFailure.nonRetryable((task.config as { message: string }).message, 'TestFailure', { attempt: Context.current().info.attempt, stats: { rowsIn: 0, rowsOut: 0 } });
  },
};

/**
 * Validates a spec the way the API does; throws with every error if it is invalid. A run of it closes as
 * failed as soon as a node fails (`recoveryWindow: 0`) unless the spec sets its own recovery window.
 */
export function spec(input: unknown): PipelineSpec {
  const withWindow = input && typeof input === 'object' && !Array.isArray(input) && !('recoveryWindow' in input) ? { recoveryWindow: 0, ...input } : input;
  const result = validatePipeline(withWindow, testCatalog);
  if (!result.ok) throw new Error(`invalid test spec: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return result.spec;
}

/** Starts a run of `s` on `taskQueue` with the search attributes the API sets. */
export async function startRun(client: Client, taskQueue: string, s: PipelineSpec, params: Record<string, unknown> = {}): Promise<WorkflowHandle> {
  const input: RunInput = { pipeline: s.name, version: 1, spec: s, params };
  return client.workflow.start('runPipeline', {
    taskQueue,
    workflowId: uniqueName(s.name),
    args: [input],
    typedSearchAttributes: [
      { key: SLUICE_PIPELINE, value: s.name },
      { key: SLUICE_STATUS, value: 'running' },
    ],
  });
}

export async function progressOf(handle: WorkflowHandle): Promise<RunProgress> {
  return handle.query<RunProgress>('progress');
}

/** `test.rows`: heartbeats growing row counts (100 more every `everyMs`, `batches` times), as a long read would. */
export function rowsActivity(batches: number, everyMs: number): (task: NodeTaskInput) => Promise<NodeTaskResult> {
  return async () => {
    const ctx = Context.current();
    for (let i = 1; i <= batches; i++) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      const stats = { rowsIn: i * 100, rowsOut: i * 100 };
      const hb: NodeHeartbeat = { ...stats, checkpoint: i, stats };
      ctx.heartbeat(hb);
    }
    return { status: 'done', outputs: {}, stats: { rowsIn: batches * 100, rowsOut: batches * 100 }, attempt: ctx.info.attempt };
  };
}

/** testCatalog plus `test.rows` (rowsActivity). */
export const rowsCatalog = makeCatalog([
  ...testCatalog.values(),
  { type: 'test.rows', description: 'heartbeats growing row counts', config: z.object({}), consumesDataset: false, producesDataset: false },
]);

/**
 * extract (`rows` rows, `batch` a batch, from the database in secret REJ_DB) -> check
 * (transform.validate: status must be ok, tolerating `maxBad`), both on `site` when given: every
 * tenth row is bad, so the check rejects rows/10 records.
 */
export function rejectingPipeline(name: string, opts: { rows: number; batch: number; maxBad: number; site?: string | undefined }) {
  const at = opts.site ? { site: opts.site } : {};
  return {
    name,
    nodes: [
      {
        id: 'extract',
        type: 'postgres.read',
        ...at,
        config: {
          connection: { $secret: 'REJ_DB' },
          query: `select g as id, case when g % 10 = 0 then 'bad' else 'ok' end as status from generate_series(1, ${opts.rows}) g order by g`,
          batchSize: opts.batch,
        },
      },
      { id: 'check', type: 'transform.validate', needs: ['extract'], ...at, maxBadRecords: opts.maxBad, config: { fields: { id: { type: 'int', required: true }, status: { enum: ['ok'] } } } },
    ],
  };
}
