// /api/v1/whoami (any role: who the caller is), /api/v1/keys and /api/v1/audit (admin: managing API
// keys and reading the audit trail).
import express, { Router } from 'express';
import type { z } from 'zod';
import type { ApiKeyRecord } from '../../store/types.js';
import { authorize, principalOf, setTarget } from '../auth/middleware.js';
import { issueKey } from '../auth/keys.js';
import { MAX_KEY_BODY_BYTES } from '../../dag/limits.js';
import { optionalJsonBody } from '../body.js';
import type { AppDeps } from '../deps.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { methodNotAllowed } from '../problem.js';
import { auditQuery, createKeyBody, keyIdParams, type auditResponse, type createdKeyResponse, type keyListResponse, type keyResponse, type whoamiResponse } from '../schemas.js';

function keyBody(k: ApiKeyRecord): z.infer<typeof keyResponse> {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    pipelines: k.pipelines,
    createdAt: k.createdAt.toISOString(),
    createdBy: k.createdBy,
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    lastUsedAt: iso(k.lastUsedAt),
  };
}

export function accessRouter({ store }: AppDeps): Router {
  const router = Router();

  router
    .route('/whoami')
    .get(authorize('caller.read'), (_req, res) => {
      const p = principalOf(res);
      const body: z.infer<typeof whoamiResponse> = { kind: p.kind, id: p.id, name: p.name, role: p.role, pipelines: p.pipelines === null ? null : [...p.pipelines] };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/keys')
    .get(authorize('key.list'), async (_req, res) => {
      const body: z.infer<typeof keyListResponse> = { keys: (await store.listKeys()).map(keyBody) };
      res.json(body);
    })
    .post(authorize('key.create'), express.json({ limit: MAX_KEY_BODY_BYTES, strict: true }), async (req, res) => {
      const body = createKeyBody.parse(optionalJsonBody(req));
      const creator = principalOf(res);
      // A scoped admin cannot mint a key wider than its own: every glob must be one of its own.
      const own = creator.pipelines;
      if (own !== null && (body.pipelines === undefined || !body.pipelines.every((g) => own.includes(g)))) {
        throw new ForbiddenError(`this key is limited to pipelines ${own.join(', ')}: a key it makes must name only those (pipelines)`);
      }
      const { record: saved, key } = await issueKey(store, {
        name: body.name,
        role: body.role,
        pipelines: body.pipelines ?? null,
        expiresInMs: body.expires ?? null,
        createdBy: creator.id ?? 'anonymous',
      });
      setTarget(res, `key ${saved.id}`);
      const created: z.infer<typeof createdKeyResponse> = { ...keyBody(saved), key };
      res.status(201).location(`/api/v1/keys/${saved.id}`).json(created);
    })
    .all(methodNotAllowed('GET', 'POST'));

  router
    .route('/keys/:id')
    .delete(authorize('key.revoke'), async (req, res) => {
      const { id } = keyIdParams.parse(req.params);
      setTarget(res, `key ${id}`);
      const revoked = await store.revokeKey(id);
      if (!revoked) throw new NotFoundError(`key ${id} not found`);
      res.json(keyBody(revoked));
    })
    .all(methodNotAllowed('DELETE'));

  router
    .route('/audit')
    .get(authorize('audit.read'), async (req, res) => {
      const q = auditQuery.parse(req.query);
      const page = await store.listAudit({ actor: q.actor, action: q.action, since: q.since === undefined ? undefined : new Date(q.since), before: q.cursor, limit: q.limit });
      const body: z.infer<typeof auditResponse> = {
        entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })),
        next: page.next,
      };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  return router;
}
