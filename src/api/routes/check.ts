// POST /api/v1/pipelines/:name/check: tests every node's connection on the worker of its site
// (where its secrets are) and answers with each node's result.
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { durationSchema } from '../../dag/duration.js';
import { bodyType } from '../body.js';
import type { AppDeps } from '../deps.js';
import { NotFoundError, UnavailableError, UnsupportedMediaTypeError } from '../errors.js';
import { methodNotAllowed } from '../problem.js';
import { CheckNotRunError, runCheck } from '../runs/check.js';
import { resolveParams } from '../runs/params.js';
import { pipelineParams, startRunBody } from '../schemas.js';

const MAX_TIMEOUT_MS = 5 * 60_000;

/** A run's body plus how long each node's worker has to pick up and to finish its check. */
export const checkBody = startRunBody.extend({
  timeout: durationSchema
    .pipe(z.number().min(1000, 'must be at least 1s').max(MAX_TIMEOUT_MS, 'must be at most 5m'))
    .optional()
    .describe('per node: how long its worker has to pick up the check, and then to finish it (default 30s)'),
});

const nodeCheckResponse = z.union([
  z.object({ ok: z.literal(true), ms: z.number().describe('how long the check took') }),
  z.object({ ok: z.literal(true), skipped: z.string().describe('why the node was not checked') }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

export const checkResponse = z.object({
  checkId: z.string().describe('workflow id of the checkPipeline execution'),
  pipeline: z.string(),
  version: z.number().int(),
  ok: z.boolean().describe('false when any node failed its check'),
  nodes: z.record(z.string(), nodeCheckResponse),
});

function jsonBody(req: Request): unknown {
  const type = bodyType(req, ['application/json', 'application/*+json']);
  if (type === null) return {};
  if (type === false) throw new UnsupportedMediaTypeError(`send application/json, not ${req.get('content-type')}`);
  return req.body ?? {};
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

/** The route's entry for the OpenAPI document, from the same schemas the handler uses. */
export function checkOpenApiPaths(): Record<string, unknown> {
  const problem = { description: 'problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  return {
    '/api/v1/pipelines/{name}/check': {
      post: {
        summary: "Check every node's connection on the worker of its site",
        parameters: [{ name: 'name', in: 'path', required: true, schema: jsonSchema(pipelineParams.shape.name, 'input') }],
        requestBody: { required: false, content: { 'application/json': { schema: jsonSchema(checkBody, 'input') } } },
        responses: {
          '200': { description: 'every node checked (ok says whether all passed)', content: { 'application/json': { schema: jsonSchema(checkResponse, 'output') } } },
          ...Object.fromEntries([400, 404, 415, 503].map((c) => [String(c), problem])),
        },
      },
    },
  };
}

export function checkRouter({ store, client, taskQueue }: AppDeps): Router {
  const router = Router();
  router
    .route('/pipelines/:name/check')
    .post(express.json({ limit: '256kb', strict: true }), async (req, res) => {
      const { name } = pipelineParams.parse(req.params);
      const body = checkBody.parse(jsonBody(req));
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
