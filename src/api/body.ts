// Which of the accepted media types a request body has, treating an empty body as no body
// (type-is counts `Content-Length: 0` as a body, which fetch sends for a bodiless POST).
import type { Request } from 'express';
import { clip } from '../dag/echo.js';
import { guardValue } from '../dag/guard.js';
import { BadRequestError, UnsupportedMediaTypeError } from './errors.js';

/** The matching type, null when there is no body, false when the body has another type. */
export function bodyType(req: Request, types: string[]): string | null | false {
  const length = req.get('content-length');
  if (req.get('transfer-encoding') === undefined && (length === undefined || length === '0')) return null;
  return req.is(types) || false;
}

/**
 * The JSON body of a request whose every field is optional: {} when there is none, 415 for another type
 * (`application/*+json` included: these routes parse application/json only, and a body they did not
 * parse must never be taken for an empty one), 400 with paths when the value breaks the limits of
 * src/dag/limits.ts (depth, string and key lengths, NUL, unpaired surrogates, prototype keys).
 */
export function optionalJsonBody(req: Request): unknown {
  const type = bodyType(req, ['application/json']);
  if (type === null) return {};
  if (type === false || req.body === undefined) {
    throw new UnsupportedMediaTypeError(`send application/json, not ${clip(req.get('content-type') ?? 'a body without a type')}`);
  }
  const problems = guardValue(req.body);
  if (problems.length > 0) throw new BadRequestError('the request body breaks the API limits', problems);
  return req.body;
}
