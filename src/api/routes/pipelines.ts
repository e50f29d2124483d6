// /api/v1/pipelines: the registry of pipeline specs and their versions.
import express, { Router, type Request } from 'express';
import type { z } from 'zod';
import type { Catalog } from '../../dag/catalog.js';
import { redactCredentials } from '../../dag/credential.js';
import { parsePipelineText, validatePipeline } from '../../dag/validate.js';
import type { PipelineVersion } from '../../store/types.js';
import { bodyType } from '../body.js';
import type { AppDeps } from '../deps.js';
import { BadRequestError, InvalidSpecError, NotFoundError, UnsupportedMediaTypeError } from '../errors.js';
import { authorize, principalOf, requireScope, setTarget } from '../auth/middleware.js';
import { inScope } from '../auth/roles.js';
import { methodNotAllowed } from '../problem.js';
import { pipelineParams, pipelineQuery, type pipelineListResponse, type pipelineResponse, type pipelineVersionResponse } from '../schemas.js';

export const JSON_TYPES = ['application/json', 'application/*+json'];
export const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/x-yaml'];
/** Specs are small; anything bigger is a mistake (or an attack), not a pipeline. */
const SPEC_BODY_LIMIT = '1mb';

/** The spec document in the body, parsed per its Content-Type; malformed text is a 400 naming the spot. */
function specDocument(req: Request): unknown {
  const format = bodyType(req, [...JSON_TYPES, ...YAML_TYPES]);
  if (format === false) {
    throw new UnsupportedMediaTypeError(`send the spec as application/json or application/yaml, not ${req.get('content-type')}`);
  }
  if (format === null || typeof req.body !== 'string' || req.body.trim() === '') {
    throw new BadRequestError('the request body must be a pipeline spec', [{ path: 'body', message: 'required' }]);
  }
  const parsed = parsePipelineText(req.body, YAML_TYPES.includes(format) ? 'yaml' : 'json');
  if (!parsed.ok) {
    const errors = parsed.errors.map((e) => ({ path: e.path || 'body', message: e.message }));
    throw new BadRequestError(`malformed request body: ${errors.map((e) => e.message).join('; ')}`, errors);
  }
  return parsed.value;
}

/**
 * A version as the API shows it. Literal credentials are refused at registration; a spec stored
 * before that rule still never shows one: such values are masked.
 */
function versionBody(v: PipelineVersion, catalog: Catalog): z.infer<typeof pipelineVersionResponse> {
  const nodes = v.spec.nodes.map((n) => {
    const def = catalog.get(n.type);
    return def ? { ...n, config: redactCredentials(def.config, n.config) as typeof n.config } : n;
  });
  return { name: v.name, version: v.version, createdAt: v.createdAt.toISOString(), spec: { ...v.spec, nodes } };
}

export function pipelinesRouter({ store, catalog }: AppDeps): Router {
  const router = Router();
  const specBody = express.text({ type: [...JSON_TYPES, ...YAML_TYPES], limit: SPEC_BODY_LIMIT });

  router
    .route('/pipelines')
    .get(authorize('pipeline.list'), async (_req, res) => {
      const principal = principalOf(res);
      const pipelines = (await store.listPipelines()).filter((p) => inScope(principal, p.name));
      const body: z.infer<typeof pipelineListResponse> = {
        pipelines: pipelines.map((p) => ({ ...p, updatedAt: p.updatedAt.toISOString() })),
      };
      res.json(body);
    })
    .post(authorize('pipeline.create'), specBody, async (req, res) => {
      const doc = specDocument(req);
      const name = (doc as { name?: unknown } | null)?.name;
      if (typeof name === 'string') {
        setTarget(res, `pipeline ${name}`);
        requireScope(res, name);
      }
      const result = validatePipeline(doc, catalog);
      if (!result.ok) throw new InvalidSpecError(result.errors);
      const saved = await store.putPipeline(result.spec);
      res
        .status(saved.created ? 201 : 200)
        .location(`/api/v1/pipelines/${saved.name}?version=${saved.version}`)
        .json(versionBody(saved, catalog));
    })
    .all(methodNotAllowed('GET', 'POST'));

  router
    .route('/pipelines/:name')
    .get(authorize('pipeline.read'), async (req, res) => {
      const { name } = pipelineParams.parse(req.params);
      requireScope(res, name, { notFound: `pipeline ${name} not found` });
      const { version } = pipelineQuery.parse(req.query);
      const found = await store.getPipeline(name, version);
      if (!found) {
        throw new NotFoundError(version === undefined ? `pipeline ${name} not found` : `pipeline ${name} has no version ${version}`);
      }
      const body: z.infer<typeof pipelineResponse> = { ...versionBody(found, catalog), versions: found.versions };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  return router;
}
