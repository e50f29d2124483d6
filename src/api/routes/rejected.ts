// GET /api/v1/runs/:runId/nodes/:nodeId/rejected: a sample of a node's bad records with their
// reasons (central nodes), or where a site keeps them (site nodes: nothing is fetched from a site).
import { Router } from 'express';
import { SLUICE_PIPELINE } from '../../workflows/messages.js';
import type { AppDeps } from '../deps.js';
import { ApiError, UnavailableError } from '../errors.js';
import { authorize, requireScope, setTarget } from '../auth/middleware.js';
import { methodNotAllowed } from '../problem.js';
import { describeRun } from '../runs/describe.js';
import { rejectedSample, SampleGoneError, SampleNotReadError } from '../runs/rejected.js';
import { rejectedParams, rejectedQuery } from '../schemas.js';

export function rejectedRouter({ store, client }: AppDeps): Router {
  const router = Router();
  router
    .route('/runs/:runId/nodes/:nodeId/rejected')
    .get(authorize('run.rejected'), async (req, res) => {
      const { runId, nodeId } = rejectedParams.parse(req.params);
      const { limit } = rejectedQuery.parse(req.query);
      setTarget(res, `run ${runId}`);
      const described = await describeRun(client, runId);
      // Scope first: a run outside it is "not found", and so are its nodes.
      requireScope(res, described.desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '', { notFound: `run ${runId} not found` });
      try {
        res.json(await rejectedSample({ store, client }, described, { runId, nodeId, limit }));
      } catch (err) {
        if (err instanceof SampleNotReadError) throw new UnavailableError(err.message);
        if (err instanceof SampleGoneError) throw new ApiError(410, 'gone', 'Gone', err.message);
        throw err;
      }
    })
    .all(methodNotAllowed('GET'));
  return router;
}
