// Which of the accepted media types a request body has, treating an empty body as no body
// (type-is counts `Content-Length: 0` as a body, which fetch sends for a bodiless POST).
import type { Request } from 'express';
import { UnsupportedMediaTypeError } from './errors.js';

/** The matching type, null when there is no body, false when the body has another type. */
export function bodyType(req: Request, types: string[]): string | null | false {
  const length = req.get('content-length');
  if (req.get('transfer-encoding') === undefined && (length === undefined || length === '0')) return null;
  return req.is(types) || false;
}

/** The JSON body of a request whose every field is optional: {} when there is none, 415 for another type. */
export function optionalJsonBody(req: Request): unknown {
  const type = bodyType(req, ['application/json', 'application/*+json']);
  if (type === null) return {};
  if (type === false) throw new UnsupportedMediaTypeError(`send application/json, not ${req.get('content-type')}`);
  return req.body ?? {};
}
