// Query strings. Routes with query parameters parse them with a strict schema (schemas.ts); every
// other route takes none, and refuses any it is sent: a misspelt or stray key is a 400 naming it,
// never silently ignored.
import type { Request } from 'express';
import { clip } from '../dag/echo.js';
import { MAX_ISSUES } from '../dag/limits.js';
import type { Action } from './auth/roles.js';
import { BadRequestError } from './errors.js';

/** The actions whose routes read a query (pipelineQuery, listRunsQuery, nodesPageQuery, rejectedQuery, auditQuery, listSchedulesQuery, the logs query). */
const WITH_QUERY: ReadonlySet<Action> = new Set<Action>(['pipeline.read', 'run.list', 'run.nodes', 'run.logs', 'run.rejected', 'audit.read', 'schedule.list']);

/** Throws a 400 listing each query key when the route of `action` takes no query. */
export function refuseUnknownQuery(action: Action, req: Request): void {
  if (WITH_QUERY.has(action)) return;
  const keys = Object.keys((req.query ?? {}) as object);
  if (keys.length === 0) return;
  throw new BadRequestError(
    'this route takes no query parameters',
    keys.slice(0, MAX_ISSUES).map((key) => ({ path: clip(key), message: 'unknown query parameter' })),
  );
}
