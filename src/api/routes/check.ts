// POST /api/v1/pipelines/:name/check: tests every node's connection on the worker of its site
// (where its secrets are) and answers with each node's result.
import express, { Router } from 'express';
import type { z } from 'zod';
import { MAX_RUN_BODY_BYTES } from '../../dag/limits.js';
import { optionalJsonBody } from '../body.js';
import type { AppDeps } from '../deps.js';
import { NotFoundError, UnavailableError } from '../errors.js';
import { authorize, requireScope, setTarget } from '../auth/middleware.js';
import { methodNotAllowed } from '../problem.js';
import { CheckNotRunError, runCheck } from '../runs/check.js';
import { resolveParams } from '../runs/params.js';
import { checkBody, pipelineParams, type checkResponse } from '../schemas.js';

export function checkRouter({ store, client, taskQueue }: AppDeps): Router {
  const router = Router();
  router
    .route('/pipelines/:name/check')
    .post(authorize('pipeline.check'), express.json({ limit: MAX_RUN_BODY_BYTES, strict: true }), async (req, res) => {
      const { name } = pipelineParams.parse(req.params);
      setTarget(res, `pipeline ${name}`);
      requireScope(res, name, { notFound: `pipeline ${name} not found` });
      const body = checkBody.parse(optionalJsonBody(req));
      const pv = await store.getPipeline(name, body.version);
      if (!pv) {
        throw new NotFoundError(body.version === undefined ? `pipeline ${name} not found` : `pipeline ${name} has no version ${body.version}`);
      }
      const params = resolveParams(pv.spec.params, body.params);
      const input = { pipeline: pv.name, version: pv.version, spec: pv.spec, params, ...(body.timeout === undefined ? {} : { timeoutMs: body.timeout }) };
      try {
        const { checkId, result } = await runCheck(client, taskQueue, input);
        const response: z.infer<typeof checkResponse> = { checkId, pipeline: pv.name, version: pv.version, ...result };
        res.json(response);
      } catch (err) {
        if (err instanceof CheckNotRunError) throw new UnavailableError(err.message);
        throw err;
      }
    })
    .all(methodNotAllowed('POST'));
  return router;
}
