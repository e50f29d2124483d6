// Browser and network safety for the API: standard security headers, CORS only for origins the
// operator lists, no form-encoded bodies on state-changing requests (so no cross-site form post
// can drive the API), and a per-caller rate limit answering 429 with Retry-After.
import cors from 'cors';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { principalOf } from './auth/middleware.js';
import { problemClass, UnsupportedMediaTypeError } from './errors.js';

export interface WebSettings {
  /** Origins allowed to call the API from a browser (SLUICE_CORS_ORIGINS); none by default. */
  corsOrigins: readonly string[];
  /** Requests per minute per caller (SLUICE_RATE_LIMIT); 0 turns the limit off. */
  ratePerMinute: number;
}

export const DEFAULT_WEB: WebSettings = { corsOrigins: [], ratePerMinute: 1200 };

export class TooManyRequestsError extends problemClass(429, 'too-many-requests', 'Too many requests') {
  override name = 'TooManyRequestsError';
}

/** A JSON API needs few of helmet's page-oriented headers, but all of them are harmless here. */
export const securityHeaders: RequestHandler = helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });

/** CORS for the listed origins only; other origins get no CORS headers, so browsers refuse them. */
export function corsFor(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Namespace'],
    exposedHeaders: ['Location', 'X-Request-Id', 'Retry-After', 'Idempotent-Replayed'],
    maxAge: 600,
  });
}

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Form-encoded and plain-text bodies are what a cross-site form can send; no route takes them. */
export const noFormBodies: RequestHandler = (req, _res, next) => {
  if (!SAFE.has(req.method) && req.is(FORM_TYPES)) {
    throw new UnsupportedMediaTypeError(`${req.method} requests take application/json (or YAML for pipeline specs), not ${req.get('content-type')}`);
  }
  next();
};

/** Per caller (key id, OIDC subject, or the address when anonymous), after authentication; or per address. */
export function rateLimitPerCaller(perMinute: number, by: 'principal' | 'address' = 'principal'): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // `address`: for routes reached before authentication (the console's sign-on).
    keyGenerator: (req, res) => (by === 'principal' ? principalOf(res).id : null) ?? `anonymous ${req.socket.remoteAddress ?? ''}`,
    validate: { keyGeneratorIpFallback: false },
    handler: (req, res, next) => {
      const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      res.set('Retry-After', String(seconds));
      next(new TooManyRequestsError(`more than ${perMinute} requests in a minute from this caller: retry after ${seconds}s`));
    },
  });
}
