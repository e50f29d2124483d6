// /api/v1/pipelines/:name/runs and /api/v1/runs: starting, observing and steering runs.
import express, { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { z } from 'zod';
import { pauseSignal, resumeSignal, SLUICE_STATUS } from '../../workflows/messages.js';
import { optionalJsonBody } from '../body.js';
import type { AppDeps } from '../deps.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { methodNotAllowed } from '../problem.js';
import { describeRun } from '../runs/describe.js';
import { listRuns } from '../runs/list.js';
import { resolveParams } from '../runs/params.js';
import { startOptions } from '../runs/start.js';
import { runStatus } from '../runs/status.js';
import { getRunView } from '../runs/view.js';
import {
  listRunsQuery,
  pipelineParams,
  runIdParams,
  startRunBody,
  type runActionResponse,
  type runCreatedResponse,
  type runListResponse,
} from '../schemas.js';

type RunAction = z.infer<typeof runActionResponse>['requested'];

export function runsRouter({ store, client, taskQueue }: AppDeps): Router {
  const router = Router();

  router
    .route('/pipelines/:name/runs')
    .post(express.json({ limit: '256kb', strict: true }), async (req, res) => {
      const { name } = pipelineParams.parse(req.params);
      const body = startRunBody.parse(optionalJsonBody(req));
      const pv = await store.getPipeline(name, body.version);
      if (!pv) {
        throw new NotFoundError(body.version === undefined ? `pipeline ${name} not found` : `pipeline ${name} has no version ${body.version}`);
      }
      const params = resolveParams(pv.spec.params, body.params);
      // Incremental reads continue from the marks the pipeline's last successful run saved.
      const { workflowType, options } = startOptions(pv, params, taskQueue, await store.getNodeStates(pv.name));
      const handle = await client.workflow.start(workflowType, options);
      const created: z.infer<typeof runCreatedResponse> = { runId: handle.workflowId };
      res.status(201).location(`/api/v1/runs/${encodeURIComponent(handle.workflowId)}`).json(created);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/runs')
    .get(async (req, res) => {
      const query = listRunsQuery.parse(req.query);
      const body: z.infer<typeof runListResponse> = { runs: await listRuns(client, query) };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/runs/:runId')
    .get(async (req, res) => {
      const { runId } = runIdParams.parse(req.params);
      res.json(await getRunView(client, runId));
    })
    .all(methodNotAllowed('GET'));

  const act = (requested: RunAction) =>
    router
      .route(`/runs/:runId/${requested}`)
      .post(async (req, res) => {
        const { runId } = runIdParams.parse(req.params);
        const { handle, desc } = await describeRun(client, runId);
        if (desc.status.name !== 'RUNNING') {
          const status = runStatus(desc.status.name, desc.typedSearchAttributes.get(SLUICE_STATUS));
          throw new ConflictError(`run ${runId} is already ${status}; only a running or paused run can be asked to ${requested}`);
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
  return router;
}
