// Shapes of the log routes (POST /api/v1/ingest/logs, GET /api/v1/runs/{id}/logs), as zod schemas:
// the handlers validate with them, the worker's shipper builds its batches to fit them, and
// openapi.ts renders them.
import { z } from 'zod';
import { textProblem } from '../dag/guard.js';
import { MAX_INT32, MAX_LOG_BATCH_LINES, MAX_LOG_FIELDS_BYTES, MAX_LOG_MESSAGE_LENGTH, MAX_LOG_PAGE, MAX_NODE_ID_LENGTH, MAX_SITE_LENGTH } from '../dag/limits.js';
import { SITE_PATTERN } from '../dag/spec.js';
import { LOG_LEVELS } from '../store/logs.js';

const LEVELS = Object.keys(LOG_LEVELS) as [keyof typeof LOG_LEVELS, ...(keyof typeof LOG_LEVELS)[]];

/** A site as log lines name it: a spec's site name, or `central` for the central workers. */
export const logSiteName = z.string().max(MAX_SITE_LENGTH).regex(SITE_PATTERN, 'expected a site name of lower-case letters, digits and - (or central)');

const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    });

/** A node id, or a mapped node's instance (`extract[12]`). */
const logNodeId = z.string().min(1).max(MAX_NODE_ID_LENGTH + 8).regex(/^[A-Za-z_][A-Za-z0-9_-]*(\[\d{1,6}\])?$/, 'expected a node id, or an instance like extract[3]');

export const ingestLine = z.strictObject({
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('increasing per source: a batch sent again is recognised by it'),
  time: z.iso.datetime({ offset: true }),
  runId: text(255).min(1),
  nodeId: logNodeId,
  attempt: z.number().int().min(1).max(MAX_INT32),
  level: z.enum(LEVELS, { error: `expected one of ${LEVELS.join(', ')}` }),
  msg: text(MAX_LOG_MESSAGE_LENGTH),
  fields: z
    .record(z.string(), z.unknown())
    .refine((f) => Buffer.byteLength(JSON.stringify(f)) <= MAX_LOG_FIELDS_BYTES, `must be at most ${MAX_LOG_FIELDS_BYTES} bytes as JSON`)
    .optional(),
});

export const ingestLogsBody = z
  .strictObject({
    source: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'expected 8-64 letters, digits, _ or -: the id of the worker\'s spool').describe("the sending worker's spool (its buffer directory)"),
    site: logSiteName.describe('the site whose lines these are: the site key\'s own'),
    shipping: z.boolean().default(true).describe('false: the site keeps its logs (its policy turns shipping off); send no lines then'),
    lines: z.array(ingestLine).max(MAX_LOG_BATCH_LINES, `at most ${MAX_LOG_BATCH_LINES} lines per batch`).default([]),
  })
  .superRefine((b, ctx) => {
    if (!b.shipping && b.lines.length > 0) ctx.addIssue({ code: 'custom', path: ['lines'], message: 'a site that does not ship its logs sends no lines' });
    for (let i = 1; i < b.lines.length; i++) {
      if (b.lines[i]!.seq <= b.lines[i - 1]!.seq) {
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'seq'], message: 'must be greater than the seq of the line before' });
        break;
      }
    }
  });

export const ingestLogsResponse = z.object({ stored: z.number().int(), duplicates: z.number().int() });

export const runLogsQuery = z.strictObject({
  node: logNodeId.optional().describe("a node's lines (with its instances' for a mapped node)"),
  level: z.enum(LEVELS, { error: `expected one of ${LEVELS.join(', ')}` }).optional().describe('the least level shown; default info'),
  cursor: z.string().regex(/^[0-9]{1,19}$/, 'expected the `next` of an earlier page').optional().describe('the `next` of the previous page'),
  limit: z
    .string()
    .regex(/^[0-9]+$/, 'expected a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1, 'expected a positive integer').max(MAX_LOG_PAGE, `must be at most ${MAX_LOG_PAGE}`))
    .default(200),
  follow: z.enum(['1', '0', 'true', 'false'], { error: 'expected 1 or 0' }).optional().describe('1: stream lines as they arrive (text/event-stream) until the run closes'),
});

export const logLine = z.object({
  id: z.string().describe('arrival order: the cursor, and the SSE event id'),
  time: z.string().describe("when the worker wrote it (the worker's clock)"),
  nodeId: z.string(),
  attempt: z.number().int(),
  site: z.string(),
  level: z.enum(LEVELS),
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()).nullable(),
});

export const logPlace = z.object({
  site: z.string().describe('a site, or central'),
  nodes: z.array(z.string()),
  shipping: z.enum(['on', 'off', 'unknown']),
  lastHeardAt: z.string().nullable(),
  note: z.string().describe('where these nodes\' logs are'),
});

export const runLogsResponse = z.object({
  runId: z.string(),
  lines: z.array(logLine),
  next: z.string().nullable().describe('pass as cursor for the lines after these (also once more lines arrive); null: none yet'),
  places: z.array(logPlace).describe("where each place's nodes keep their logs, and whether they ship them here"),
});
