// The OpenAPI 3.1 document of the API, rendered from the same zod schemas the handlers validate with.
// Shared sub-schemas (`$defs`) of every rendered schema move to `components.schemas`, so each `$ref`
// resolves inside the document: tools and the generated client (src/api/client) accept it as is.
import { z } from 'zod';
import type { Catalog } from '../dag/catalog.js';
import { pipelineJsonSchema } from '../dag/json-schema.js';
import { JSON_TYPES, YAML_TYPES } from './routes/pipelines.js';
import { codecBody } from './routes/codec.js';
import { oidcConfigResponse, oidcTokenBody, oidcTokenResponse } from './routes/console-auth.js';
import * as s from './schemas.js';
import * as logs from './log-schemas.js';

type Json = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

/** Replaces every `#/$defs/<name>` reference in `value` by `rename(name)`. */
function rewriteRefs(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/') ? rename(decodeURIComponent(v.slice(8))) : rewriteRefs(v, rename)]),
  );
}

/** The document's `components.schemas`, filled as schemas are rendered. */
class Schemas {
  readonly all: Record<string, Json> = {};
  private anonymous = 0;

  /** `schema` with its `$defs` moved here under `<prefix>.<name>` and its references pointed at them. */
  hoist(schema: Json, prefix?: string): Json {
    const { $schema: _, $defs, ...rest } = schema as Json & { $defs?: Record<string, Json> };
    if (!$defs) return rest;
    const at = prefix ?? `defs${++this.anonymous}`;
    const rename = (name: string) => `${COMPONENTS}${at}.${name}`;
    for (const [name, def] of Object.entries($defs)) this.all[`${at}.${name}`] = rewriteRefs(def, rename) as Json;
    return rewriteRefs(rest, rename) as Json;
  }

  /** A named component; returns the reference to it. */
  named(name: string, schema: Json): Json {
    this.all[name] = this.hoist(schema, name);
    return { $ref: `${COMPONENTS}${name}` };
  }
}

const json = (schema: Json, example?: unknown) => ({ 'application/json': example === undefined ? { schema } : { schema, example } });
const ok = (description: string, schema: Json, example?: unknown) => ({ description, content: json(schema, example) });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: `${COMPONENTS}Problem` }, example: EXAMPLE_PROBLEM } } });

/** The routes that start or steer runs take it: a repeat within 24 h gets the first answer again. */
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Sent again with the same request within 24 hours, it gets the first answer (Idempotent-Replayed: true) instead of acting twice; with a different request it is a 422.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const EXAMPLE_PROBLEM = {
  type: 'urn:sluice:problem:invalid-spec',
  title: 'Invalid pipeline spec',
  status: 422,
  detail: 'the pipeline spec has 1 error(s)',
  errors: [{ path: 'nodes[1].needs[0]', message: 'unknown node "extarct"; did you mean "extract"?' }],
};

const EXAMPLE_SPEC = {
  name: 'orders-daily',
  params: { day: { type: 'string', default: '2026-11-30' } },
  nodes: [
    { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'SOURCE_DB' }, query: 'select * from shop.orders where created_at::date = $1', params: ['{{ params.day }}'] } },
    { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'WAREHOUSE_DB' }, table: 'dw.orders', mode: 'append' } },
  ],
};

const EXAMPLE_SPEC_YAML = `name: orders-daily
params:
  day: { type: string, default: "2026-11-30" }
nodes:
  - id: extract
    type: postgres.read
    config:
      connection: { $secret: SOURCE_DB }
      query: select * from shop.orders where created_at::date = $1
      params: ["{{ params.day }}"]
  - id: load
    type: postgres.write
    needs: [extract]
    config: { connection: { $secret: WAREHOUSE_DB }, table: dw.orders, mode: append }
`;
const PROBLEM_WORDS: Record<number, string> = {
  400: 'bad request: the errors list each path that is wrong',
  401: 'no key, or a key that is unknown, revoked or expired',
  403: "the key's role or pipelines do not allow this",
  404: 'not found (or not visible to this key)',
  409: 'conflict with the current state',
  410: 'gone: removed by retention',
  413: 'body too large',
  415: 'unsupported content type',
  422: 'the body is well-formed but invalid: the errors list each path that is wrong',
  429: 'too many requests from this caller (see Retry-After)',
  503: 'Temporal or a worker did not answer in time; try again',
};
const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), problem(PROBLEM_WORDS[c] ?? 'problem')]));

/** Tags, by the first path segment after the prefix. */
function tagOf(path: string): string {
  const segment = path.replace(/^\/api\/v1\//, '').split('/')[0] ?? '';
  if (path.startsWith('/codec/')) return 'codec';
  if (path.startsWith('/console-auth/')) return 'service';
  if (segment === 'keys' || segment === 'audit') return 'access';
  if (segment === 'ingest') return 'logs';
  if (path.endsWith('/logs')) return 'logs';
  if (path.endsWith('/schedules') || segment === 'schedules') return 'schedules';
  if (segment === 'pipelines') return 'pipelines';
  if (segment === 'runs') return 'runs';
  return 'service';
}

const TAGS = [
  { name: 'pipelines', description: 'Pipeline specs and their versions; starting and checking runs' },
  { name: 'runs', description: 'Runs: progress, nodes, pause, resume, cancel, retry in place' },
  { name: 'schedules', description: 'Temporal Schedules that start runs; backfills' },
  { name: 'logs', description: "Node log lines from every worker, central or site" },
  { name: 'access', description: 'API keys and the audit trail (admin)' },
  { name: 'codec', description: "The Temporal Web UI's codec server: decrypts payloads for people allowed to see them" },
  { name: 'service', description: "Health, this document, and the console's single sign-on" },
];

/** Builds the document; the spec body schema comes from the catalog, so it lists every node type. */
export function openApiDocument(catalog: Catalog): Json {
  const components = new Schemas();
  const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'output'): Json =>
    components.hoist(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json);
  /** A response body, as a named component (so the generated client has a type of that name). */
  const out = (name: string, schema: z.ZodType): Json => components.named(name, jsonSchema(schema));
  const parameters = (schema: z.ZodObject, where: 'path' | 'query'): Json[] => {
    const js = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
    return Object.entries(js.properties ?? {}).map(([name, schema]) => ({
      name,
      in: where,
      required: where === 'path' || (js.required ?? []).includes(name),
      ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      schema,
    }));
  };
  const runIdPath = parameters(s.runIdParams, 'path');
  const namePath = parameters(s.pipelineParams, 'path');
  const action = (requested: string) => ({
    post: {
      summary: `Ask a running run to ${requested}`,
      parameters: [...runIdPath, IDEMPOTENCY_KEY],
      responses: { '202': ok('accepted', out('RunAction', s.runActionResponse)), ...problems(404, 409, 422) },
    },
  });
  const schedulePath = parameters(s.scheduleIdParams, 'path');
  const scheduleAction = (summary: string, body: z.ZodType, status: '200' | '202') => ({
    post: {
      summary,
      parameters: schedulePath,
      requestBody: { required: false, content: json(jsonSchema(body, 'input')) },
      responses: { [status]: ok('done', out('ScheduleAction', s.scheduleActionResponse)), ...problems(400, 404, 415) },
    },
  });
  const specSchema = components.named('PipelineSpec', pipelineJsonSchema(catalog) as Json);
  out('Problem', s.problemResponse);
  const codec = (direction: 'decode' | 'encode') => ({
    post: {
      summary: direction === 'decode' ? 'Decode payloads for the Temporal Web UI (codec server protocol)' : 'Encode payloads (codec server protocol)',
      description: 'The Temporal Web UI calls this with the signed-in user\'s key (or, for the local UI, no key where allowed); X-Namespace names the namespace.',
      parameters: [{ name: 'X-Namespace', in: 'header', required: false, schema: { type: 'string' } }],
      requestBody: { required: true, content: json(jsonSchema(codecBody, 'input')) },
      responses: { '200': ok('the payloads, in order', jsonSchema(codecBody)), ...problems(400, 404, 413, 415, 422) },
    },
  });
  const paths: Record<string, Record<string, Json>> = {
      '/healthz': {
        get: {
          summary: 'Whether the API is up, and how it authenticates',
          security: [],
          responses: { '200': ok('up', { type: 'object', properties: { ok: { const: true }, auth: { enum: ['off', 'keys', 'keys+oidc'] } }, required: ['ok', 'auth'] }, { ok: true, auth: 'keys' }) },
        },
      },
      '/api/v1/openapi.json': {
        get: { summary: 'This document', responses: { '200': ok('the OpenAPI 3.1 document', { type: 'object' }) } },
      },
      '/api/v1/whoami': {
        get: { summary: 'Who the caller is: role and pipeline scope', responses: { '200': ok('the caller', out('Whoami', s.whoamiResponse)) } },
      },
      '/console-auth/oidc': {
        get: {
          summary: "The console's single sign-on: whether there is one, and where to send a person to sign in",
          security: [],
          responses: { '200': ok('the issuer, its authorization endpoint and the console client (or enabled: false)', out('OidcConfig', oidcConfigResponse)), ...problems(503) },
        },
      },
      '/console-auth/oidc/token': {
        post: {
          summary: 'Redeem an authorization code (with its PKCE verifier) for a bearer token, at the issuer',
          security: [],
          requestBody: { required: true, content: json(jsonSchema(oidcTokenBody, 'input')) },
          responses: { '200': ok('a bearer token for the API', out('OidcToken', oidcTokenResponse)), ...problems(404, 503) },
        },
      },
      '/codec/decode': codec('decode'),
      '/codec/encode': codec('encode'),
      '/api/v1/pipelines': {
        get: { summary: 'List pipelines', responses: { '200': ok('pipelines', out('PipelineList', s.pipelineListResponse)) } },
        post: {
          summary: 'Create a pipeline or add a version (idempotent for an unchanged spec)',
          requestBody: {
            required: true,
            content: Object.fromEntries([...JSON_TYPES, ...YAML_TYPES].map((t) => [t, { schema: specSchema, example: YAML_TYPES.includes(t) ? EXAMPLE_SPEC_YAML : EXAMPLE_SPEC }])),
          },
          responses: {
            '201': ok('a new version', out('PipelineVersion', s.pipelineVersionResponse)),
            '200': ok('the spec equals the latest version', out('PipelineVersion', s.pipelineVersionResponse)),
            ...problems(400, 413, 415, 422),
          },
        },
      },
      '/api/v1/pipelines/{name}': {
        get: {
          summary: 'A pipeline version (the latest by default)',
          parameters: [...namePath, ...parameters(s.pipelineQuery, 'query')],
          responses: { '200': ok('the version', out('Pipeline', s.pipelineResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/pipelines/{name}/runs': {
        post: {
          summary: 'Start a run',
          parameters: [...namePath, IDEMPOTENCY_KEY],
          requestBody: { required: false, content: json(jsonSchema(s.startRunBody, 'input'), { params: { day: '2026-11-30' } }) },
          responses: {
            '201': ok('started (with a concurrency limit, maybe queued for a slot)', out('RunCreated', s.runCreatedResponse)),
            '200': ok("not started: the pipeline's concurrency limit is reached and its onConflict is skip", out('RunSkipped', s.runSkippedResponse)),
            ...problems(400, 404, 409, 413, 415, 422),
          },
        },
      },
      '/api/v1/runs': {
        get: {
          summary: 'List runs, newest first',
          parameters: parameters(s.listRunsQuery, 'query'),
          responses: { '200': ok('runs', out('RunList', s.runListResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/runs/{runId}': {
        get: {
          summary: 'A run and its nodes',
          parameters: runIdPath,
          responses: { '200': ok('the run', out('Run', s.runResponse)), ...problems(404, 503) },
        },
      },
      '/api/v1/pipelines/{name}/check': {
        post: {
          summary: "Check every node's connection on the worker of its site",
          parameters: namePath,
          requestBody: { required: false, content: json(jsonSchema(s.checkBody, 'input')) },
          responses: { '200': ok('every node checked (ok says whether all passed)', out('Check', s.checkResponse)), ...problems(400, 404, 413, 415, 503) },
        },
      },
      '/api/v1/keys': {
        get: { summary: 'List API keys (never the keys themselves)', responses: { '200': ok('keys', out('KeyList', s.keyListResponse)), ...problems(401, 403) } },
        post: {
          summary: 'Make an API key; the key is in this response only',
          requestBody: { required: true, content: json(jsonSchema(s.createKeyBody, 'input'), { name: 'nightly loader', role: 'operator', pipelines: ['orders-*'], expires: '90d' }) },
          responses: { '201': ok('the new key', out('CreatedKey', s.createdKeyResponse)), ...problems(400, 401, 403, 415) },
        },
      },
      '/api/v1/keys/{id}': {
        delete: {
          summary: 'Revoke a key; it stops working at once',
          parameters: parameters(s.keyIdParams, 'path'),
          responses: { '200': ok('the revoked key', out('Key', s.keyResponse)), ...problems(400, 401, 403, 404) },
        },
      },
      '/api/v1/audit': {
        get: {
          summary: 'The audit trail, newest first',
          parameters: parameters(s.auditQuery, 'query'),
          responses: { '200': ok('a page of entries', out('Audit', s.auditResponse)), ...problems(400, 401, 403) },
        },
      },
      '/api/v1/runs/{runId}/pause': action('pause'),
      '/api/v1/runs/{runId}/resume': action('resume'),
      '/api/v1/runs/{runId}/cancel': action('cancel'),
      '/api/v1/runs/{runId}/nodes': {
        get: {
          summary: "A page of the run's nodes in spec order, optionally of one state",
          parameters: [...runIdPath, ...parameters(s.nodesPageQuery, 'query')],
          responses: { '200': ok('a page of nodes', out('NodesPage', s.nodesPageResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/runs/{runId}/nodes/{nodeId}/rejected': {
        get: {
          summary: "A sample of a node's rejected (bad) records with their reasons; a site node's stay on its site, and the answer says where",
          parameters: [...parameters(s.rejectedParams, 'path'), ...parameters(s.rejectedQuery, 'query')],
          responses: {
            '200': ok('the first records (central node), or where the site keeps them (site node)', out('RejectedSample', s.rejectedSampleResponse), {
              runId: 'orders-1a2b3c4d5e6f',
              nodeId: 'clean',
              site: 'central',
              total: 2,
              records: [{ reason: 'amount: cannot cast "abc" to numeric', position: 'part 0 row 17', record: { id: 17, amount: 'abc' } }],
              truncated: true,
            }),
            ...problems(404, 410, 503),
          },
        },
      },
      '/api/v1/pipelines/{name}/schedules': {
        post: {
          summary: 'Make a schedule that starts runs of the pipeline (a Temporal Schedule); the version is pinned now',
          parameters: namePath,
          requestBody: { required: true, content: json(jsonSchema(s.createScheduleBody, 'input'), { cron: '0 2 * * *', timezone: 'Europe/Paris', overlap: 'skip', params: { day: '{{ run.scheduledAt }}' } }) },
          responses: { '201': ok('the schedule', out('Schedule', s.scheduleResponse)), ...problems(400, 404, 409, 413, 415) },
        },
      },
      '/api/v1/schedules': {
        get: {
          summary: 'List schedules (of one pipeline), by id',
          parameters: parameters(s.listSchedulesQuery, 'query'),
          responses: { '200': ok('schedules', out('ScheduleList', s.scheduleListResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/schedules/{id}': {
        get: { summary: 'A schedule', parameters: schedulePath, responses: { '200': ok('the schedule', out('Schedule', s.scheduleResponse)), ...problems(400, 404) } },
        patch: {
          summary: 'Change a schedule: when, params, version, overlap, catch-up window, note, paused',
          parameters: schedulePath,
          requestBody: { required: true, content: json(jsonSchema(s.updateScheduleBody, 'input')) },
          responses: { '200': ok('the schedule as changed', out('Schedule', s.scheduleResponse)), ...problems(400, 404, 413, 415) },
        },
        delete: {
          summary: 'Delete a schedule; the runs it started go on',
          parameters: schedulePath,
          responses: { '200': ok('the schedule as it was', out('Schedule', s.scheduleResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/schedules/{id}/pause': scheduleAction('Pause a schedule (no runs start until unpaused)', s.pauseScheduleBody, '200'),
      '/api/v1/schedules/{id}/unpause': scheduleAction('Unpause a schedule', s.pauseScheduleBody, '200'),
      '/api/v1/schedules/{id}/trigger': scheduleAction('Start a run now (overlap default allow_all)', s.triggerScheduleBody, '202'),
      '/api/v1/schedules/{id}/backfill': {
        post: {
          summary: 'Start the runs the schedule would have started between from and to (both inclusive)',
          parameters: schedulePath,
          requestBody: { required: true, content: json(jsonSchema(s.backfillScheduleBody, 'input'), { from: '2026-11-01T00:00:00Z', to: '2026-11-07T00:00:00Z' }) },
          responses: { '202': ok('the runs are being started', out('Backfill', s.backfillResponse)), ...problems(400, 404, 413, 415) },
        },
      },
      '/api/v1/runs/{runId}/logs': {
        get: {
          summary: "The run's node log lines in arrival order; with follow=1 a text/event-stream of them until the run closes",
          parameters: [...runIdPath, ...parameters(logs.runLogsQuery, 'query')],
          responses: {
            '200': {
              description: 'a page of lines and where each place keeps its logs (or, with follow=1, events `places`, `line`, `end`)',
              content: { ...json(out('RunLogs', logs.runLogsResponse)), 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...problems(400, 404, 503),
          },
        },
      },
      '/api/v1/ingest/logs': {
        post: {
          summary: "A worker's batch of node log lines (site keys only, for their own site)",
          requestBody: { required: true, content: json(jsonSchema(logs.ingestLogsBody, 'input')) },
          responses: { '200': ok('stored (lines sent before are counted as duplicates)', out('IngestLogs', logs.ingestLogsResponse)), ...problems(400, 403, 413, 415, 422, 503) },
        },
      },
      '/api/v1/runs/{runId}/retry': {
        post: {
          summary: 'Run a failed run again in place: its failed nodes (all, or those named) and what depends on them',
          parameters: [...runIdPath, IDEMPOTENCY_KEY],
          requestBody: { required: false, content: json(jsonSchema(s.retryRunBody, 'input'), { nodes: ['load'] }) },
          responses: { '202': ok('accepted: the run is running again', out('RetryRun', s.retryRunResponse)), ...problems(400, 404, 409, 415, 422, 503) },
        },
      },
  };
  decorate(paths);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sluice API',
      version: '1',
      description: 'Pipelines as durable Temporal workflows. Every route but /healthz takes an API key as a bearer token; errors are problem+json with the path of each wrong field.',
    },
    tags: TAGS,
    paths,
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key (sk_...) or, where configured, an OIDC access token' },
      },
      schemas: components.all,
    },
  };
}

/** Adds each operation's tag and id, and the answers every authenticated route can give. */
function decorate(paths: Record<string, Record<string, Json>>): void {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      op.tags = [tagOf(path)];
      op.operationId ??= operationId(method, path);
      const open = Array.isArray(op.security) && op.security.length === 0;
      // Every route refuses unknown query parameters (400); a body is size- and type-checked.
      // Form and plain-text bodies are refused on every state-changing route (415).
      const generic = [400, ...(op.requestBody ? [413] : []), ...(method === 'get' ? [] : [415]), ...(open ? [] : [401, 403, 429])];
      op.responses = { ...problems(...generic), ...(op.responses as Json) };
    }
  }
}

/** `get /api/v1/runs/{runId}/logs` -> `getRunsRunIdLogs`: unique per route, stable. */
function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1\//, '/')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
