// Which of the accepted media types a request body has, treating an empty body as no body
// (type-is counts `Content-Length: 0` as a body, which fetch sends for a bodiless POST).
import type { Request } from 'express';

/** The matching type, null when there is no body, false when the body has another type. */
export function bodyType(req: Request, types: string[]): string | null | false {
  const length = req.get('content-length');
  if (req.get('transfer-encoding') === undefined && (length === undefined || length === '0')) return null;
  return req.is(types) || false;
}
