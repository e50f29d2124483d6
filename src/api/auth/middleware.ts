// Authentication, authorization and the audit trail, as Express middleware. Every request gets an
// id; every route under /api/v1 needs a principal (an API key or an OIDC token, or everyone when
// SLUICE_AUTH=off); each route names its action, whose role the principal must have; and every
// mutating or denied request leaves an audit row before its response is sent.
import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../log.js';
import type { AuditStore, KeyStore } from '../../store/types.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import { refuseUnknownQuery } from '../query.js';
import { parseKey, verifySecret } from './keys.js';
import type { OidcVerifier } from './oidc.js';
import { ACTIONS, inScope, roleAllows, type Action, type Principal } from './roles.js';

export interface AuthSettings {
  /** `off`: every caller is an anonymous admin (a trusted local network only; logged loudly). */
  mode: 'on' | 'off';
  oidc: OidcVerifier | null;
}

/** What the middleware leaves on `res.locals` for handlers and the audit trail. */
interface AccessLocals {
  requestId: string;
  principal?: Principal;
  action?: Action;
  target?: string;
}

function locals(res: Response): AccessLocals {
  return res.locals as AccessLocals;
}

const ANONYMOUS: Principal = { kind: 'anonymous', id: null, name: null, role: 'admin', pipelines: null };
const BEARER = /^Bearer +([\x21-\x7e]{1,4096})$/;

/** The principal of an authenticated request (set by `authenticate`). */
export function principalOf(res: Response): Principal {
  const p = locals(res).principal;
  if (!p) throw new Error('route reached without authentication');
  return p;
}

/** Names what the request acts on, for the audit row (`pipeline orders`, `run r-1`, `key 0a1b...`). */
export function setTarget(res: Response, target: string): void {
  locals(res).target = target;
}

/**
 * Refuses a pipeline outside the principal's scope. For a read or an act on an existing thing the
 * answer is the same 404 as for a missing one (`hide`), so ids of other teams' runs reveal nothing;
 * for creating or starting under a name, a 403 names the scope.
 */
export function requireScope(res: Response, pipeline: string, hide: { notFound: string } | null = null): void {
  const p = principalOf(res);
  if (inScope(p, pipeline)) return;
  if (hide) throw new NotFoundError(hide.notFound);
  throw new ForbiddenError(`this key is limited to pipelines ${p.pipelines!.join(', ')}; pipeline ${pipeline} is outside its scope`);
}

/** Gives every request an id (X-Request-Id), echoed in logs and audit rows. */
export const requestId: RequestHandler = (_req, res, next) => {
  const id = crypto.randomUUID();
  locals(res).requestId = id;
  res.set('X-Request-Id', id);
  next();
};

/** Who is calling, from the Authorization header; a 401 when no valid key or token is sent. */
async function principalFor(req: Request, keys: KeyStore, settings: AuthSettings, logger: Logger): Promise<Principal> {
  if (settings.mode === 'off') return ANONYMOUS;
  const header = req.get('authorization');
  if (header === undefined) throw new UnauthorizedError('this API needs a key: send Authorization: Bearer <key> (make one with `sluice keys create`)');
  const token = BEARER.exec(header)?.[1];
  if (!token) throw new UnauthorizedError('malformed Authorization header: expected Bearer <key>');
  if (token.startsWith('sk_')) {
    const parsed = parseKey(token);
    const row = parsed ? await keys.getKey(parsed.id) : null;
    if (!parsed || !row || !(await verifySecret(parsed.id, parsed.secret, row.hash))) throw new UnauthorizedError('the API key is not valid');
    if (row.revokedAt) throw new UnauthorizedError(`API key ${row.id} was revoked`);
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new UnauthorizedError(`API key ${row.id} expired at ${row.expiresAt.toISOString()}`);
    keys.touchKey(row.id).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'could not record key use'));
    if (row.site) return { kind: 'key', id: row.id, name: row.name, role: 'viewer', pipelines: [], site: row.site };
    return { kind: 'key', id: row.id, name: row.name, role: row.role, pipelines: row.pipelines };
  }
  if (settings.oidc) return settings.oidc.verify(token);
  throw new UnauthorizedError('the API key is not valid');
}

export function authenticate(keys: KeyStore, settings: AuthSettings, logger: Logger): RequestHandler {
  return (req, res, next) => {
    principalFor(req, keys, settings, logger).then((principal) => {
      locals(res).principal = principal;
      next();
    }, next);
  };
}

/** Route guard: the principal's role must allow `action`. */
export function authorize(action: Action): RequestHandler {
  return (req, res, next) => {
    locals(res).action = action;
    const p = principalOf(res);
    // A site key sends its site's log lines and nothing else; only site keys (or everyone, with auth off) send them.
    if (p.site !== undefined && action !== 'log.ingest') throw new ForbiddenError(`${action} is not allowed to a site key: key ${p.id} may only send the log lines of site ${p.site}`);
    if (action === 'log.ingest' && p.site === undefined && p.kind !== 'anonymous') {
      throw new ForbiddenError('log.ingest needs a site key (`sluice keys create --name NAME --site SITE`); this key is not one');
    }
    const needed = ACTIONS[action];
    if (!roleAllows(p.role, needed)) {
      throw new ForbiddenError(`${action} needs the ${needed} role; this ${p.kind === 'oidc' ? 'token' : 'key'} has ${p.role}`);
    }
    refuseUnknownQuery(action, req);
    next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function auditAction(req: Request, res: Response): string {
  return locals(res).action ?? `${req.method} ${req.baseUrl}${req.path}`.slice(0, 200);
}

/**
 * Writes the audit row of every mutating request and every denied one (401, 403) before the
 * response goes out, so a client that reads the audit log next finds its own request there.
 * `isRead` says which requests do not mutate (default: GET, HEAD, OPTIONS).
 */
export function auditTrail(store: AuditStore, logger: Logger, isRead: (req: Request) => boolean = (req) => SAFE_METHODS.has(req.method)): RequestHandler {
  return (req, res, next) => {
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let written = false;
    res.end = ((...args: unknown[]) => {
      const status = res.statusCode;
      if (written || (isRead(req) && status !== 401 && status !== 403)) return end(...args);
      written = true;
      const l = locals(res);
      const p = l.principal;
      store
        .appendAudit({
          actorId: p?.id ?? null,
          actorName: p?.name ?? null,
          role: p?.role ?? null,
          action: auditAction(req, res),
          target: l.target ?? null,
          status,
          requestId: l.requestId,
          remote: req.socket.remoteAddress ?? null,
        })
        .catch((err: unknown) => logger.error({ err: (err as Error).message, requestId: l.requestId }, 'could not write the audit row'))
        .finally(() => end(...args));
      return res;
    }) as Response['end'];
    next();
  };
}
