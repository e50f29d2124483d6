// The one place where errors become HTTP responses (RFC 9457 problem+json).
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import { isGrpcServiceError } from '@temporalio/client';
import { ZodError } from 'zod';
import { clip, clipMessage } from '../dag/echo.js';
import { capIssues } from '../dag/guard.js';
import type { Logger } from '../log.js';
import { PATH_PARAMS } from './schemas.js';
import { ApiError, MethodNotAllowedError, NotFoundError, UnauthorizedError, zodFieldErrors, type FieldError } from './errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: FieldError[];
}

// gRPC status codes that mean Temporal is not reachable right now, not that the request is wrong.
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** Errors that body-parser raises for the client's request (http-errors style, `expose: true`). */
function isClientHttpError(err: unknown): err is Error & { status: number; type?: string } {
  const e = err as { status?: unknown; expose?: unknown };
  return err instanceof Error && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true;
}

/** Answers about what the request itself holds: each lists at least one path. */
const REFUSED_REQUEST: ReadonlySet<number> = new Set([400, 413, 415, 422]);

/** The router's error for a path parameter that is not valid percent-encoding (`/runs/%ZZ`). */
function isBadPercentEncoding(err: unknown): err is URIError {
  return err instanceof URIError && (err as { status?: unknown }).status === 400;
}

/** Which path parameter could not be decoded, named as its route names it (`runId`), and its raw text. */
function undecodable(req: Request): FieldError {
  const segments = req.path.split('/');
  const at = segments.findIndex((s) => {
    try {
      decodeURIComponent(s);
      return false;
    } catch {
      return true;
    }
  });
  const raw = segments[at] ?? '';
  const collection = segments[at - 1] ?? '';
  const name = Object.hasOwn(PATH_PARAMS, collection) ? (PATH_PARAMS[collection] as string) : 'path';
  return { path: name, message: `not valid percent-encoding (UTF-8 as %XX): ${JSON.stringify(clip(raw))}` };
}

function toProblem(err: unknown, req: Request): Problem & { allow?: string[] } {
  const problem = (status: number, slug: string, title: string, detail: string, errors: FieldError[] = []) => ({
    type: `urn:sluice:problem:${slug}`,
    title,
    status,
    detail,
    errors,
  });
  if (err instanceof ApiError) {
    const p = problem(err.status, err.slug, err.title, err.message, err.errors);
    return err instanceof MethodNotAllowedError ? { ...p, allow: err.allow } : p;
  }
  if (err instanceof ZodError) return problem(400, 'bad-request', 'Bad request', 'the request is invalid', zodFieldErrors(err));
  if (err instanceof WorkflowNotFoundError) return problem(404, 'not-found', 'Not found', `run ${err.workflowId} not found`);
  if (isBadPercentEncoding(err)) {
    const bad = undecodable(req);
    return problem(400, 'bad-request', 'Bad request', `malformed URL: ${bad.path} ${bad.message}`, [bad]);
  }
  if (isClientHttpError(err)) {
    const detail = err.type === 'entity.parse.failed' ? `malformed request body: ${err.message}` : err.message;
    const title = STATUS_CODES[err.status] ?? 'Bad request';
    const slug = { 400: 'bad-request', 413: 'too-large', 415: 'unsupported-media-type' }[err.status] ?? 'request-error';
    return problem(err.status, slug, title, detail, [{ path: 'body', message: err.message }]);
  }
  // The client wraps gRPC errors in a ServiceError; look one level down as well.
  const grpc = isGrpcServiceError(err) ? err : err instanceof Error && isGrpcServiceError(err.cause) ? err.cause : null;
  if (grpc && (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED)) {
    return problem(503, 'unavailable', 'Service unavailable', 'the Temporal service is not reachable; try again shortly');
  }
  return problem(500, 'internal', 'Internal server error', 'an unexpected error occurred; it has been logged');
}

/**
 * Sends a problem. Whatever raised it, at most MAX_ISSUES errors go out, and no message quotes more
 * than MAX_ECHO characters of what the client sent (the last net under every message built elsewhere).
 */
export function sendProblem(res: Response, problem: Problem & { allow?: string[] }): void {
  const { allow, ...rest } = problem;
  // A refused request always says where: the body, or the request as a whole.
  const errors = rest.errors.length > 0 || !REFUSED_REQUEST.has(rest.status) ? rest.errors : [{ path: rest.status === 415 || rest.status === 413 ? 'body' : '(root)', message: rest.detail }];
  const body: Problem = {
    ...rest,
    detail: clipMessage(rest.detail),
    errors: capIssues(errors).map((e) => ({ path: clip(e.path, 1000), message: clipMessage(e.message) })),
  };
  if (allow) res.set('Allow', allow.join(', '));
  res.status(problem.status).type('application/problem+json').json(body);
}

/** Error middleware: maps every error to problem+json; logs only what the server must look at. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const problem = toProblem(err, req);
    if (problem.status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    if (err instanceof UnauthorizedError) res.set('WWW-Authenticate', 'Bearer realm="sluice"');
    sendProblem(res, problem);
  };
}

/** Final handler for paths no route claims. */
export const notFoundHandler: RequestHandler = (req) => {
  throw new NotFoundError(`no route for ${clip(req.method, 20)} ${clip(req.path)}`);
};

/** Route terminator for a known path called with a method it does not serve. */
export function methodNotAllowed(...allow: string[]): RequestHandler {
  return (req) => {
    throw new MethodNotAllowedError(allow, `${clip(req.method, 20)} is not allowed on ${clip(req.path)}; use ${allow.join(' or ')}`);
  };
}
