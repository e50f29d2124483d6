// Everything the API sends Temporal to start one run: input, ids, search attributes and the
// summary/details the Temporal Web UI shows next to the execution.
import crypto from 'node:crypto';
import type { WorkflowStartOptions } from '@temporalio/client';
import type { PipelineVersion } from '../../store/types.js';
import { SLUICE_PIPELINE, SLUICE_STATUS, WORKFLOW_TYPE, type RunInput, type RunStatus } from '../../workflows/messages.js';
import type { RunMemo } from './view.js';

/** A run id: the pipeline name, so runs read well in Temporal's UI, plus randomness for uniqueness. */
export function newRunId(pipeline: string): string {
  return `${pipeline}-${crypto.randomBytes(6).toString('hex')}`;
}

/** Markdown list of the DAG for the Web UI: each node with its type, site and upstream nodes. */
export function dagDetails(spec: PipelineVersion['spec']): string {
  const lines = spec.nodes.map((n) => {
    const where = n.site ? `, site ${n.site}` : '';
    const needs = n.needs.length ? ` ← ${n.needs.map((u) => `\`${u}\``).join(', ')}` : '';
    return `- \`${n.id}\` (${n.type}${where})${needs}`;
  });
  return [`**Nodes and edges** (${spec.nodes.length})`, '', ...lines].join('\n');
}

/** Saved node states that this version's nodes can use: states of nodes no longer in the spec stay out of the input. */
export function stateForRun(spec: PipelineVersion['spec'], saved: Record<string, unknown>): Record<string, unknown> | undefined {
  const ids = new Set(spec.nodes.map((n) => n.id));
  const entries = Object.entries(saved).filter(([id]) => ids.has(id));
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * The start of a run of `pv`. `runId` when the caller chose it already (it claimed a concurrency
 * slot for it); `status` is the run's first SluiceStatus: `queued` when it waits for a slot.
 */
export function startOptions(
  pv: PipelineVersion,
  params: Record<string, unknown>,
  taskQueue: string,
  savedState: Record<string, unknown> = {},
  { runId = newRunId(pv.name), status = 'running' }: { runId?: string; status?: Extract<RunStatus, 'queued' | 'running'> } = {},
): { workflowType: typeof WORKFLOW_TYPE; options: WorkflowStartOptions } {
  const state = stateForRun(pv.spec, savedState);
  const input: RunInput = { pipeline: pv.name, version: pv.version, spec: pv.spec, params, ...(state ? { state } : {}) };
  const memo: RunMemo = { pipeline: pv.name, version: pv.version };
  const n = pv.spec.nodes.length;
  return {
    workflowType: WORKFLOW_TYPE,
    options: {
      taskQueue,
      workflowId: runId,
      args: [input],
      memo: { ...memo },
      typedSearchAttributes: [
        { key: SLUICE_PIPELINE, value: pv.name },
        { key: SLUICE_STATUS, value: status },
      ],
      staticSummary: `${pv.name} v${pv.version} · ${n} node${n === 1 ? '' : 's'}`,
      staticDetails: dagDetails(pv.spec),
    },
  };
}
