// The OpenAPI 3.1 document of /api/v1, rendered from the same zod schemas the handlers validate with.
import { z } from 'zod';
import type { Catalog } from '../dag/catalog.js';
import { pipelineJsonSchema } from '../dag/json-schema.js';
import { JSON_TYPES, YAML_TYPES } from './routes/pipelines.js';
import * as s from './schemas.js';
import * as logs from './log-schemas.js';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

function parameters(schema: z.ZodObject, where: 'path' | 'query'): Json[] {
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema,
  }));
}

const json = (schema: Json) => ({ 'application/json': { schema } });
const ok = (description: string, schema: Json) => ({ description, content: json(schema) });
const problem = { description: 'problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), problem]));

/** Builds the document; the spec body schema comes from the catalog, so it lists every node type. */
export function openApiDocument(catalog: Catalog): Json {
  const runIdPath = parameters(s.runIdParams, 'path');
  const namePath = parameters(s.pipelineParams, 'path');
  const action = (requested: string) => ({
    post: {
      summary: `Ask a running run to ${requested}`,
      parameters: runIdPath,
      responses: { '202': ok('accepted', jsonSchema(s.runActionResponse)), ...problems(404, 409) },
    },
  });
  const schedulePath = parameters(s.scheduleIdParams, 'path');
  const scheduleAction = (summary: string, body: z.ZodType, status: '200' | '202') => ({
    post: {
      summary,
      parameters: schedulePath,
      requestBody: { required: false, content: json(jsonSchema(body, 'input')) },
      responses: { [status]: ok('done', jsonSchema(s.scheduleActionResponse)), ...problems(400, 404, 415) },
    },
  });
  const specSchema = { $ref: '#/components/schemas/PipelineSpec' };
  return {
    openapi: '3.1.0',
    info: { title: 'Sluice API', version: '1' },
    paths: {
      '/api/v1/pipelines': {
        get: { summary: 'List pipelines', responses: { '200': ok('pipelines', jsonSchema(s.pipelineListResponse)) } },
        post: {
          summary: 'Create a pipeline or add a version (idempotent for an unchanged spec)',
          requestBody: {
            required: true,
            content: Object.fromEntries([...JSON_TYPES, ...YAML_TYPES].map((t) => [t, { schema: specSchema }])),
          },
          responses: {
            '201': ok('a new version', jsonSchema(s.pipelineVersionResponse)),
            '200': ok('the spec equals the latest version', jsonSchema(s.pipelineVersionResponse)),
            ...problems(400, 413, 415, 422),
          },
        },
      },
      '/api/v1/pipelines/{name}': {
        get: {
          summary: 'A pipeline version (the latest by default)',
          parameters: [...namePath, ...parameters(s.pipelineQuery, 'query')],
          responses: { '200': ok('the version', jsonSchema(s.pipelineResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/pipelines/{name}/runs': {
        post: {
          summary: 'Start a run',
          parameters: namePath,
          requestBody: { required: false, content: json(jsonSchema(s.startRunBody, 'input')) },
          responses: {
            '201': ok('started (with a concurrency limit, maybe queued for a slot)', jsonSchema(s.runCreatedResponse)),
            '200': ok("not started: the pipeline's concurrency limit is reached and its onConflict is skip", jsonSchema(s.runSkippedResponse)),
            ...problems(400, 404, 409, 413, 415),
          },
        },
      },
      '/api/v1/runs': {
        get: {
          summary: 'List runs, newest first',
          parameters: parameters(s.listRunsQuery, 'query'),
          responses: { '200': ok('runs', jsonSchema(s.runListResponse)), ...problems(400) },
        },
      },
      '/api/v1/runs/{runId}': {
        get: {
          summary: 'A run and its nodes',
          parameters: runIdPath,
          responses: { '200': ok('the run', jsonSchema(s.runResponse)), ...problems(404, 503) },
        },
      },
      '/api/v1/pipelines/{name}/check': {
        post: {
          summary: "Check every node's connection on the worker of its site",
          parameters: namePath,
          requestBody: { required: false, content: json(jsonSchema(s.checkBody, 'input')) },
          responses: { '200': ok('every node checked (ok says whether all passed)', jsonSchema(s.checkResponse)), ...problems(400, 404, 413, 415, 503) },
        },
      },
      '/api/v1/keys': {
        get: { summary: 'List API keys (never the keys themselves)', responses: { '200': ok('keys', jsonSchema(s.keyListResponse)), ...problems(401, 403) } },
        post: {
          summary: 'Make an API key; the key is in this response only',
          requestBody: { required: true, content: json(jsonSchema(s.createKeyBody, 'input')) },
          responses: { '201': ok('the new key', jsonSchema(s.createdKeyResponse)), ...problems(400, 401, 403, 415) },
        },
      },
      '/api/v1/keys/{id}': {
        delete: {
          summary: 'Revoke a key; it stops working at once',
          parameters: parameters(s.keyIdParams, 'path'),
          responses: { '200': ok('the revoked key', jsonSchema(s.keyResponse)), ...problems(400, 401, 403, 404) },
        },
      },
      '/api/v1/audit': {
        get: {
          summary: 'The audit trail, newest first',
          parameters: parameters(s.auditQuery, 'query'),
          responses: { '200': ok('a page of entries', jsonSchema(s.auditResponse)), ...problems(400, 401, 403) },
        },
      },
      '/api/v1/runs/{runId}/pause': action('pause'),
      '/api/v1/runs/{runId}/resume': action('resume'),
      '/api/v1/runs/{runId}/cancel': action('cancel'),
      '/api/v1/runs/{runId}/nodes': {
        get: {
          summary: "A page of the run's nodes in spec order, optionally of one state",
          parameters: [...runIdPath, ...parameters(s.nodesPageQuery, 'query')],
          responses: { '200': ok('a page of nodes', jsonSchema(s.nodesPageResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/pipelines/{name}/schedules': {
        post: {
          summary: 'Make a schedule that starts runs of the pipeline (a Temporal Schedule); the version is pinned now',
          parameters: namePath,
          requestBody: { required: true, content: json(jsonSchema(s.createScheduleBody, 'input')) },
          responses: { '201': ok('the schedule', jsonSchema(s.scheduleResponse)), ...problems(400, 404, 409, 413, 415) },
        },
      },
      '/api/v1/schedules': {
        get: {
          summary: 'List schedules (of one pipeline), by id',
          parameters: parameters(s.listSchedulesQuery, 'query'),
          responses: { '200': ok('schedules', jsonSchema(s.scheduleListResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/schedules/{id}': {
        get: { summary: 'A schedule', parameters: schedulePath, responses: { '200': ok('the schedule', jsonSchema(s.scheduleResponse)), ...problems(400, 404) } },
        patch: {
          summary: 'Change a schedule: when, params, version, overlap, catch-up window, note, paused',
          parameters: schedulePath,
          requestBody: { required: true, content: json(jsonSchema(s.updateScheduleBody, 'input')) },
          responses: { '200': ok('the schedule as changed', jsonSchema(s.scheduleResponse)), ...problems(400, 404, 413, 415) },
        },
        delete: {
          summary: 'Delete a schedule; the runs it started go on',
          parameters: schedulePath,
          responses: { '200': ok('the schedule as it was', jsonSchema(s.scheduleResponse)), ...problems(400, 404) },
        },
      },
      '/api/v1/schedules/{id}/pause': scheduleAction('Pause a schedule (no runs start until unpaused)', s.pauseScheduleBody, '200'),
      '/api/v1/schedules/{id}/unpause': scheduleAction('Unpause a schedule', s.pauseScheduleBody, '200'),
      '/api/v1/schedules/{id}/trigger': scheduleAction('Start a run now (overlap default allow_all)', s.triggerScheduleBody, '202'),
      '/api/v1/schedules/{id}/backfill': {
        post: {
          summary: 'Start the runs the schedule would have started between from and to (both inclusive)',
          parameters: schedulePath,
          requestBody: { required: true, content: json(jsonSchema(s.backfillScheduleBody, 'input')) },
          responses: { '202': ok('the runs are being started', jsonSchema(s.backfillResponse)), ...problems(400, 404, 413, 415) },
        },
      },
      '/api/v1/runs/{runId}/logs': {
        get: {
          summary: "The run's node log lines in arrival order; with follow=1 a text/event-stream of them until the run closes",
          parameters: [...runIdPath, ...parameters(logs.runLogsQuery, 'query')],
          responses: {
            '200': {
              description: 'a page of lines and where each place keeps its logs (or, with follow=1, events `places`, `line`, `end`)',
              content: { ...json(jsonSchema(logs.runLogsResponse)), 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...problems(400, 404, 503),
          },
        },
      },
      '/api/v1/ingest/logs': {
        post: {
          summary: "A worker's batch of node log lines (site keys only, for their own site)",
          requestBody: { required: true, content: json(jsonSchema(logs.ingestLogsBody, 'input')) },
          responses: { '200': ok('stored (lines sent before are counted as duplicates)', jsonSchema(logs.ingestLogsResponse)), ...problems(400, 403, 413, 415, 422, 503) },
        },
      },
      '/api/v1/runs/{runId}/retry': {
        post: {
          summary: 'Run a failed run again in place: its failed nodes (all, or those named) and what depends on them',
          parameters: runIdPath,
          requestBody: { required: false, content: json(jsonSchema(s.retryRunBody, 'input')) },
          responses: { '202': ok('accepted: the run is running again', jsonSchema(s.retryRunResponse)), ...problems(400, 404, 409, 415, 422, 503) },
        },
      },
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key (sk_...) or, where configured, an OIDC access token' },
      },
      schemas: {
        Problem: jsonSchema(s.problemResponse),
        PipelineSpec: pipelineJsonSchema(catalog),
      },
    },
  };
}
