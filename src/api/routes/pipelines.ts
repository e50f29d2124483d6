// /api/v1/pipelines: the registry of pipeline specs and their versions.
import express, { Router, type Request } from 'express';
import type { z } from 'zod';
import type { Catalog } from '../../dag/catalog.js';
import { redactCredentials } from '../../dag/credential.js';
import { clip } from '../../dag/echo.js';
import { MAX_SPEC_BYTES, MAX_YAML_SPEC_BYTES } from '../../dag/limits.js';
import { parsePipelineText, validatePipelineAsync } from '../../dag/validate.js';
import type { PipelineVersion } from '../../store/types.js';
import { bodyType } from '../body.js';
import type { AppDeps } from '../deps.js';
import { ApiError, BadRequestError, InvalidSpecError, NotFoundError, UnsupportedMediaTypeError } from '../errors.js';
import { authorize, principalOf, requireScope, setTarget } from '../auth/middleware.js';
import { inScope } from '../auth/roles.js';
import { methodNotAllowed } from '../problem.js';
import { parseYamlOffThread } from '../yaml-thread.js';
import { pipelineName, pipelineParams, pipelineQuery, type pipelineListResponse, type pipelineResponse, type pipelineVersionResponse } from '../schemas.js';

export const JSON_TYPES = ['application/json', 'application/*+json'];
export const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/x-yaml'];
/**
 * The spec document in the body, parsed per its Content-Type (YAML on the parser thread, JSON here:
 * JSON.parse is fast); malformed text is a 400 naming the spot, a YAML text over its limit a 413.
 */
async function specDocument(req: Request): Promise<unknown> {
  const format = bodyType(req, [...JSON_TYPES, ...YAML_TYPES]);
  if (format === false) {
    throw new UnsupportedMediaTypeError(`send the spec as application/json or application/yaml, not ${clip(req.get('content-type') ?? '')}`);
  }
  if (format === null || typeof req.body !== 'string' || req.body.trim() === '') {
    throw new BadRequestError('the request body must be a pipeline spec', [{ path: 'body', message: 'required' }]);
  }
  const yaml = YAML_TYPES.includes(format);
  if (yaml && Buffer.byteLength(req.body) > MAX_YAML_SPEC_BYTES) {
    const message = `a YAML spec may be at most ${MAX_YAML_SPEC_BYTES / 1024} KiB; send a larger spec as JSON (up to ${MAX_SPEC_BYTES / 1024} KiB)`;
    throw new ApiError(413, 'too-large', 'Payload too large', message, [{ path: 'body', message }]);
  }
  const parsed = yaml ? await parseYamlOffThread(req.body) : parsePipelineText(req.body, 'json');
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
  const specBody = express.text({ type: [...JSON_TYPES, ...YAML_TYPES], limit: MAX_SPEC_BYTES });

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
      const doc = await specDocument(req);
      // Only a well-formed name reaches the audit row and the scope check; any other is a spec error below.
      const name = pipelineName.safeParse((doc as { name?: unknown } | null)?.name);
      if (name.success) {
        setTarget(res, `pipeline ${name.data}`);
        requireScope(res, name.data);
      }
      // In steps that give the event loop back: a 10,000-node spec does not hold up other requests.
      const result = await validatePipelineAsync(doc, catalog);
      if (!result.ok) throw new InvalidSpecError(result.errors.map((e) => ({ path: e.path || '(root)', message: e.message })));
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
