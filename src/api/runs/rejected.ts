// GET /runs/{id}/nodes/{node}/rejected: finds the node's dead-letter dataset and, for a central
// node, has a central worker read its first records (the sampleRejected workflow): the API has no
// staging store. A site node's records stay on the site; the answer says where and how to read them.
import crypto from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';
import type { z } from 'zod';
import { CENTRAL } from '../../dag/vocabulary.js';
import type { NodeSpec } from '../../dag/spec.js';
import type { Store } from '../../store/types.js';
import type { sampleRejected } from '../../workflows/rejected.js';
import {
  REJECTED_SAMPLE_TIMEOUT_MS,
  REJECTED_SAMPLE_WORKFLOW_TYPE,
  SLUICE_PIPELINE,
  type RejectedSampleInput,
  type RejectedSampleResult,
  type RejectedSource,
} from '../../workflows/messages.js';
import { ApiError } from '../errors.js';
import type { NodeView, rejectedSampleResponse } from '../schemas.js';
import type { DescribedRun } from './describe.js';
import { getNodesPage } from './nodes.js';
import { getRunView, type RunMemo } from './view.js';

type RejectedSample = z.infer<typeof rejectedSampleResponse>;

/** No central worker read the sample in time. */
export class SampleNotReadError extends Error {
  override name = 'SampleNotReadError';
}

/** The dead-letter dataset's parts were removed from staging (retention) before they were read. */
export class SampleGoneError extends Error {
  override name = 'SampleGoneError';
}

function notFound(detail: string, path: string): ApiError {
  return new ApiError(404, 'not-found', 'Not found', detail, [{ path, message: detail }]);
}

interface LocatedNode {
  base: string;
  index: number | null;
  spec: NodeSpec | null;
  view: NodeView;
}

/** The node (or mapped instance) `nodeId` of the run, with its spec and current view; 404 at nodeId when the run has none. */
async function locate(store: Store, client: Client, runId: string, described: DescribedRun, nodeId: string): Promise<LocatedNode> {
  const match = /^(.*)\[([0-9]+)\]$/.exec(nodeId);
  const base = match ? match[1]! : nodeId;
  const index = match ? Number(match[2]) : null;
  const memo = (described.desc.memo ?? {}) as Partial<RunMemo>;
  const pv = typeof memo.pipeline === 'string' && typeof memo.version === 'number' ? await store.getPipeline(memo.pipeline, memo.version) : null;
  const specNodes = pv?.spec.nodes ?? null;
  const at = specNodes ? specNodes.findIndex((n) => n.id === base) : -1;
  if (specNodes && at < 0) throw notFound(`run ${runId} has no node ${base}`, 'nodeId');
  const spec = specNodes ? specNodes[at]! : null;
  const view = await getRunView(client, runId, described);
  let node = view.nodes[base];
  if (!node && view.detail === 'partial' && specNodes) {
    // A run of more than 1,000 nodes shows only its active ones: ask for this one by its place.
    const page = await getNodesPage(client, runId, described, { ...(at > 0 ? { after: specNodes[at - 1]!.id } : {}), limit: 1 });
    node = page.nodes.find((n) => n.id === base);
  }
  if (!node) throw notFound(`run ${runId} has no node ${base}`, 'nodeId');
  if (index !== null) {
    if (spec ? !spec.forEach : !node.map) throw notFound(`node ${base} of run ${runId} is not mapped (forEach), so it has no instance ${nodeId}`, 'nodeId');
    if (node.map && index >= node.map.items) throw notFound(`node ${base} of run ${runId} has ${node.map.items} instances; there is no ${nodeId}`, 'nodeId');
  }
  return { base, index, spec, view: node };
}

/** Where the node's bad records are and how many it has; null source: nothing to read. */
function sourceOf(node: LocatedNode): { source: RejectedSource | null; total: number | null; location: string | null; note?: string } {
  if (node.index !== null) return { source: { kind: 'seal' }, total: null, location: null };
  const mapped = node.spec ? node.spec.forEach !== undefined : node.view.map !== undefined;
  if (mapped) {
    return { source: null, total: null, location: null, note: `a mapped node keeps the bad records of each instance apart: ask for one instance, e.g. nodes/${node.base}[0]/rejected` };
  }
  const ref = node.view.outputs?.rejected;
  if (isRef(ref)) return { source: ref.rows > 0 ? { kind: 'ref', ref } : null, total: ref.rows, location: ref.uri };
  if (node.view.outputs) return { source: null, total: 0, location: null };
  // Not finished (running, paused, failed): the parts its current try has written so far.
  const bad = node.view.stats.badRows ?? 0;
  return { source: bad > 0 ? { kind: 'parts', upTo: bad } : null, total: bad, location: null };
}

function isRef(v: unknown): v is { uri: string; rows: number; parts: number; format?: 'avro' | 'pgcopy' } {
  const r = v as { uri?: unknown; rows?: unknown; parts?: unknown } | null;
  return typeof r === 'object' && r !== null && typeof r.uri === 'string' && typeof r.rows === 'number' && typeof r.parts === 'number';
}

/** Starts sampleRejected on the run's own (central) task queue and waits for the records. */
export async function readSample(client: Client, taskQueue: string, input: RejectedSampleInput, pipeline: string): Promise<RejectedSampleResult> {
  const handle = await client.workflow.start<typeof sampleRejected>(REJECTED_SAMPLE_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: `rejected-${input.runId}-${input.nodeId}-${crypto.randomBytes(6).toString('hex')}`,
    args: [input],
    workflowExecutionTimeout: REJECTED_SAMPLE_TIMEOUT_MS,
    // Not a run: runs lists only runPipeline workflows; the tag lets the Web UI find it by pipeline.
    typedSearchAttributes: [{ key: SLUICE_PIPELINE, value: pipeline }],
    staticSummary: `rejected records of ${input.nodeId} in ${input.runId}`,
  });
  try {
    return await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
      throw new SampleNotReadError(`no central worker on task queue ${taskQueue} read the rejected records within ${REJECTED_SAMPLE_TIMEOUT_MS / 1000}s`);
    }
    if (err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure) {
      throw new SampleNotReadError(`the central worker could not read the rejected records: ${err.cause.cause?.message ?? err.cause.message}`);
    }
    throw err;
  }
}

/** The answer of the route, for a run already described and in the caller's scope. */
export async function rejectedSample(
  deps: { store: Store; client: Client },
  described: DescribedRun,
  request: { runId: string; nodeId: string; limit: number },
): Promise<RejectedSample> {
  const { runId, nodeId, limit } = request;
  const node = await locate(deps.store, deps.client, runId, described, nodeId);
  const site = node.spec ? (node.spec.site ?? null) : node.view.site === CENTRAL ? null : node.view.site;
  const { source, total, location, note } = sourceOf(node);
  const shellId = nodeId.includes('[') ? `'${nodeId}'` : nodeId;
  const base = { runId, nodeId, site: site ?? CENTRAL, total };
  if (site !== null) {
    // Nothing is fetched from a site: its staging store, like its secrets, stays on its hosts.
    const none = total === 0 || (source === null && note !== undefined);
    return {
      ...base,
      records: [],
      truncated: total !== null && total > 0,
      ...(none
        ? {}
        : {
            keptOnSite: {
              site,
              location: location ?? `${runId}/${nodeId}/_rejected under the staging store of the site's workers (their SLUICE_STAGING_URL, else SLUICE_STAGING_DIR)`,
              how: `on a host of site ${site}, with its worker's environment (SLUICE_STAGING_DIR or SLUICE_STAGING_URL): sluice rejected ${runId} ${shellId} --limit ${limit}`,
            },
          }),
      ...(note ? { note } : {}),
    };
  }
  if (source === null) return { ...base, records: [], truncated: false, ...(note ? { note } : {}) };
  const pipeline = described.desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '';
  const result = await readSample(deps.client, described.desc.taskQueue, { runId, nodeId, limit, source }, pipeline);
  if (result.gone) throw new SampleGoneError(`the rejected records of node ${nodeId} are no longer in staging: ${result.gone}`);
  const known = total ?? result.total;
  return { ...base, total: known, records: result.records, truncated: known === null ? result.more : result.records.length < known };
}
