// /api/v1/pipelines/:name/runs and /api/v1/runs: starting, observing and steering runs.
import express, { Router } from 'express';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { z } from 'zod';
import { pauseSignal, resumeSignal, retryUpdate, RETRY_REJECTIONS, SLUICE_PIPELINE, SLUICE_STATUS } from '../../workflows/messages.js';
import { claimSlot, limitReached } from '../../concurrency/slots.js';
import type { SlotClaim } from '../../store/types.js';
import { optionalJsonBody } from '../body.js';
import { answerNotKept, idempotent } from '../idempotency.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ConflictError, NotFoundError, UnavailableError, type FieldError } from '../errors.js';
import { authorize, principalOf, requireScope, setTarget } from '../auth/middleware.js';
import { inScope } from '../auth/roles.js';
import { methodNotAllowed } from '../problem.js';
import { describeRun } from '../runs/describe.js';
import { listRuns } from '../runs/list.js';
import { resolveParams } from '../runs/params.js';
import { newRunId, startOptions } from '../runs/start.js';
import { scheduleFacts } from '../runs/scheduled.js';
import { runStatus } from '../runs/status.js';
import { getRunView } from '../runs/view.js';
import { archivedView } from '../runs/archived.js';
import { getNodesPage } from '../runs/nodes.js';
import {
  listRunsQuery,
  nodesPageQuery,
  pipelineParams,
  retryRunBody,
  runIdParams,
  startRunBody,
  type nodesPageResponse,
  type retryRunResponse,
  type runActionResponse,
  type runCreatedResponse,
  type runListResponse,
  type runResponse,
  type runSkippedResponse,
} from '../schemas.js';

type RunAction = z.infer<typeof runActionResponse>['requested'];

/** How long the retry update may wait for a worker to take it. */
const RETRY_DEADLINE_MS = 10_000;

/** The retry update's rejection, as the API answers it: 422 for nodes that cannot be retried, 409 for a run that is not failed. */
function retryRejection(runId: string, err: WorkflowUpdateFailedError): Error {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type === RETRY_REJECTIONS.badNodes) {
    const errors = (cause.details?.[0] as FieldError[] | undefined) ?? [];
    return new ApiError(422, 'retry-rejected', 'Retry rejected', `run ${runId} cannot retry these nodes`, errors);
  }
  return new ConflictError(cause?.message ?? err.message);
}

export function runsRouter({ store, client, taskQueue, logger, metrics }: AppDeps): Router {
  const once = idempotent(store, logger);
  const router = Router();

  router
    .route('/pipelines/:name/runs')
    .post(authorize('run.start'), express.json({ limit: '256kb', strict: true }), once, async (req, res) => {
      const { name } = pipelineParams.parse(req.params);
      setTarget(res, `pipeline ${name}`);
      requireScope(res, name, { notFound: `pipeline ${name} not found` });
      const body = startRunBody.parse(optionalJsonBody(req));
      const pv = await store.getPipeline(name, body.version);
      if (!pv) {
        throw new NotFoundError(body.version === undefined ? `pipeline ${name} not found` : `pipeline ${name} has no version ${body.version}`);
      }
      const params = resolveParams(pv.spec.params, body.params);
      const runId = newRunId(pv.name);
      const { concurrency } = pv.spec;
      let claim: SlotClaim | null = null;
      if (concurrency) {
        // Claimed before the start, under the pipeline's lock in the metadata database: API processes agree.
        claim = await claimSlot({ store, client, logger }, pv.name, runId, concurrency);
        if (claim.kind === 'refused') {
          const why = limitReached(pv.name, concurrency.limit, claim.holding, claim.queued);
          // The limit passes; the same request (and Idempotency-Key) may start a run later.
          answerNotKept(res);
          if (concurrency.onConflict === 'fail') throw new ConflictError(`no run started: ${why}; onConflict is fail, so start it again once a run ends`);
          const skipped: z.infer<typeof runSkippedResponse> = { runId: null, skipped: `no run started: ${why}; onConflict is skip`, holding: claim.holding };
          res.status(200).json(skipped);
          return;
        }
      }
      // Incremental reads continue from the marks the pipeline's last successful run saved (a run
      // with a concurrency slot reads them again as it gets the slot).
      const { workflowType, options } = startOptions(pv, params, taskQueue, await store.getNodeStates(pv.name), {
        runId,
        status: claim?.kind === 'queued' ? 'queued' : 'running',
      });
      let handle;
      try {
        handle = await client.workflow.start(workflowType, options);
      } catch (err) {
        // No run, no slot. (Should the start have reached Temporal after all, the run queues again on its own.)
        if (claim) await store.releaseSlot(runId).catch((e: unknown) => logger.warn({ runId, err: (e as Error).message }, 'could not give back the slot of a run that did not start'));
        throw err;
      }
      setTarget(res, `run ${handle.workflowId}`);
      metrics?.runStarted(pv.name);
      // Listed at once, even before a worker takes it; the run's own writes (higher seq) follow.
      await store
        .recordRun({ runId: handle.workflowId, pipeline: pv.name, version: pv.version, status: claim?.kind === 'queued' ? 'queued' : 'running', open: true, params, startedAt: new Date(), seq: 0 })
        .catch((err: unknown) => logger.warn({ runId: handle.workflowId, err: (err as Error).message }, 'run not recorded in the run history'));
      const created: z.infer<typeof runCreatedResponse> = { runId: handle.workflowId, ...(claim ? { queued: claim.kind === 'queued' } : {}) };
      res.status(201).location(`/api/v1/runs/${encodeURIComponent(handle.workflowId)}`).json(created);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/runs')
    .get(authorize('run.list'), async (req, res) => {
      const query = listRunsQuery.parse(req.query);
      const principal = principalOf(res);
      if (query.pipeline !== undefined) requireScope(res, query.pipeline, { notFound: `pipeline ${query.pipeline} not found` });
      // A scoped key lists only its pipelines' runs: the visibility query names them.
      const within = principal.pipelines === null ? undefined : (await store.listPipelines()).map((p) => p.name).filter((n) => inScope(principal, n));
      const body: z.infer<typeof runListResponse> = await listRuns(client, store, { ...query, within });
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/runs/:runId')
    .get(authorize('run.read'), async (req, res) => {
      const { runId } = runIdParams.parse(req.params);
      // Scope first: a run outside it is "not found", whatever state it is in.
      const described = await describeRun(client, runId).catch(async (err: unknown) => {
        // Gone from Temporal (retention, a delete): the run history still has it.
        if (!(err instanceof WorkflowNotFoundError || err instanceof NotFoundError)) throw err;
        const archived = await store.getRunRecord(runId);
        if (!archived) throw err;
        return archived;
      });
      if (!('desc' in described)) {
        requireScope(res, described.pipeline, { notFound: `run ${runId} not found` });
        res.json(archivedView(described));
        return;
      }
      requireScope(res, described.desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '', { notFound: `run ${runId} not found` });
      const view: z.infer<typeof runResponse> = { ...(await getRunView(client, runId, described)), ...scheduleFacts(described.desc.typedSearchAttributes) };
      res.json(view);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/runs/:runId/nodes')
    .get(authorize('run.nodes'), async (req, res) => {
      const { runId } = runIdParams.parse(req.params);
      const query = nodesPageQuery.parse(req.query);
      const described = await describeRun(client, runId);
      requireScope(res, described.desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '', { notFound: `run ${runId} not found` });
      const page = await getNodesPage(client, runId, described, {
        ...(query.state ? { state: query.state } : {}),
        ...(query.cursor ? { after: query.cursor } : {}),
        limit: query.limit,
      });
      const body: z.infer<typeof nodesPageResponse> = { runId, ...page };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  const act = (requested: RunAction) =>
    router
      .route(`/runs/:runId/${requested}`)
      .post(authorize(`run.${requested}`), once, async (req, res) => {
        const { runId } = runIdParams.parse(req.params);
        setTarget(res, `run ${runId}`);
        const { handle, desc } = await describeRun(client, runId);
        requireScope(res, desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '', { notFound: `run ${runId} not found` });
        const status = runStatus(desc.status.name, desc.typedSearchAttributes.get(SLUICE_STATUS));
        if (desc.status.name !== 'RUNNING') {
          throw new ConflictError(`run ${runId} is already ${status}; only a running or paused run can be asked to ${requested}`);
        }
        // A failed run waiting for a retry can be cancelled (closing it now), not paused or resumed.
        if (status === 'failed' && requested !== 'cancel') {
          throw new ConflictError(`run ${runId} is failed and waits for a retry; it can be retried or cancelled, not asked to ${requested}`);
        }
        // A queued run has nothing to pause yet; cancelling it gives up its place.
        if (status === 'queued' && requested !== 'cancel') {
          throw new ConflictError(`run ${runId} is queued for a concurrency slot; it can be cancelled, not asked to ${requested}`);
        }
        try {
          if (requested === 'pause') await handle.signal(pauseSignal);
          else if (requested === 'resume') await handle.signal(resumeSignal);
          else await handle.cancel();
        } catch (err) {
          // The run closed between describe and the request.
          if (err instanceof WorkflowNotFoundError) throw new ConflictError(`run ${runId} has already closed`);
          throw err;
        }
        const body: z.infer<typeof runActionResponse> = { runId, requested };
        res.status(202).json(body);
      })
      .all(methodNotAllowed('POST'));
  act('pause');
  act('resume');
  act('cancel');

  router
    .route('/runs/:runId/retry')
    .post(authorize('run.retry'), express.json({ limit: '1mb', strict: true }), once, async (req, res) => {
      const { runId } = runIdParams.parse(req.params);
      setTarget(res, `run ${runId}`);
      const body = retryRunBody.parse(optionalJsonBody(req));
      const { handle, desc } = await describeRun(client, runId);
      requireScope(res, desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '', { notFound: `run ${runId} not found` });
      if (desc.status.name !== 'RUNNING') {
        const status = runStatus(desc.status.name, desc.typedSearchAttributes.get(SLUICE_STATUS));
        throw new ConflictError(`run ${runId} is already ${status} and closed; only a failed run still in its recovery window can be retried`);
      }
      let result;
      try {
        // An update, so the caller learns at once whether the run took the retry.
        result = await client.connection.withDeadline(Date.now() + RETRY_DEADLINE_MS, () =>
          handle.executeUpdate(retryUpdate, { args: [{ ...(body.nodes ? { nodes: body.nodes } : {}) }] }),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw retryRejection(runId, err);
        if (err instanceof WorkflowNotFoundError) throw new ConflictError(`run ${runId} has already closed`);
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
          throw new UnavailableError(`run ${runId} did not answer the retry within ${RETRY_DEADLINE_MS / 1000} s; is a worker polling task queue ${desc.taskQueue}?`);
        }
        throw err;
      }
      const answer: z.infer<typeof retryRunResponse> = { runId, requested: 'retry', ...result };
      res.status(202).json(answer);
    })
    .all(methodNotAllowed('POST'));
  return router;
}
