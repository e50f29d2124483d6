// The one place where errors become HTTP responses (RFC 9457 problem+json).
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import { isGrpcServiceError } from '@temporalio/client';
import { ZodError } from 'zod';
import type { Logger } from '../log.js';
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

function toProblem(err: unknown): Problem & { allow?: string[] } {
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
  if (isClientHttpError(err)) {
    const detail = err.type === 'entity.parse.failed' ? `malformed request body: ${err.message}` : err.message;
    const title = STATUS_CODES[err.status] ?? 'Bad request';
    return problem(err.status, err.status === 400 ? 'bad-request' : 'request-error', title, detail, [{ path: 'body', message: err.message }]);
  }
  // The client wraps gRPC errors in a ServiceError; look one level down as well.
  const grpc = isGrpcServiceError(err) ? err : err instanceof Error && isGrpcServiceError(err.cause) ? err.cause : null;
  if (grpc && (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED)) {
    return problem(503, 'unavailable', 'Service unavailable', 'the Temporal service is not reachable; try again shortly');
  }
  return problem(500, 'internal', 'Internal server error', 'an unexpected error occurred; it has been logged');
}

export function sendProblem(res: Response, problem: Problem & { allow?: string[] }): void {
  const { allow, ...body } = problem;
  if (allow) res.set('Allow', allow.join(', '));
  res.status(problem.status).type('application/problem+json').json(body);
}

/** Error middleware: maps every error to problem+json; logs only what the server must look at. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const problem = toProblem(err);
    if (problem.status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    if (err instanceof UnauthorizedError) res.set('WWW-Authenticate', 'Bearer realm="sluice"');
    sendProblem(res, problem);
  };
}

/** Final handler for paths no route claims. */
export const notFoundHandler: RequestHandler = (req) => {
  throw new NotFoundError(`no route for ${req.method} ${req.path}`);
};

/** Route terminator for a known path called with a method it does not serve. */
export function methodNotAllowed(...allow: string[]): RequestHandler {
  return (req) => {
    throw new MethodNotAllowedError(allow, `${req.method} is not allowed on ${req.path}; use ${allow.join(' or ')}`);
  };
}
