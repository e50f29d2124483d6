// Typed errors raised where a request goes wrong; problem.ts maps them (and library errors) to HTTP.
import { clip } from '../dag/echo.js';
import { appendPath } from '../dag/path.js';
import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

/** An error that is the client's to fix or the API's to report plainly: it becomes a problem+json response. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** Short slug for the problem `type` (urn:sluice:problem:<slug>). */
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
}

export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
  constructor(detail: string, errors: FieldError[] = []) {
    super(400, 'bad-request', 'Bad request', detail, errors);
  }
}

export class InvalidSpecError extends ApiError {
  override name = 'InvalidSpecError';
  constructor(errors: FieldError[]) {
    super(422, 'invalid-spec', 'Invalid pipeline spec', `the pipeline spec has ${errors.length} error(s)`, errors);
  }
}

/** An ApiError class for one status whose only argument is the detail. */
export function problemClass(status: number, slug: string, title: string) {
  return class extends ApiError {
    constructor(detail: string) {
      super(status, slug, title, detail);
    }
  };
}

/** No valid credentials: the response asks for a bearer token. */
export class UnauthorizedError extends problemClass(401, 'unauthorized', 'Unauthorized') {
  override name = 'UnauthorizedError';
}

/** Valid credentials without the role or pipeline scope the request needs. */
export class ForbiddenError extends problemClass(403, 'forbidden', 'Forbidden') {
  override name = 'ForbiddenError';
}

export class NotFoundError extends problemClass(404, 'not-found', 'Not found') {
  override name = 'NotFoundError';
}

export class ConflictError extends problemClass(409, 'conflict', 'Conflict') {
  override name = 'ConflictError';
}

export class UnsupportedMediaTypeError extends problemClass(415, 'unsupported-media-type', 'Unsupported media type') {
  override name = 'UnsupportedMediaTypeError';
}

export class UnavailableError extends problemClass(503, 'unavailable', 'Service unavailable') {
  override name = 'UnavailableError';
}

export class MethodNotAllowedError extends ApiError {
  override name = 'MethodNotAllowedError';
  constructor(readonly allow: string[], detail: string) {
    super(405, 'method-not-allowed', 'Method not allowed', detail);
  }
}

/** A zod issue path in the spec's path style (`params.x`, `nodes[2].config`), under `prefix`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  return path.reduce<string>((out, seg) => appendPath(out, typeof seg === 'symbol' ? String(seg) : seg), prefix);
}

/** Every zod issue as a field error, paths under `prefix` (e.g. 'query'). */
export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => {
    // Unknown keys are reported on the parent object; name each key so the path points at it.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, clip(key)], prefix), message: 'unknown field' }));
    }
    return [{ path: formatPath(issue.path, prefix) || prefix || '(root)', message: issue.message }];
  }).flat();
}
