// Idempotency-Key on the routes that start or steer runs: the first request with a key is
// processed and its answer stored before it is sent; the same key from the same caller for the
// same request within 24 hours gets that answer again (Idempotent-Replayed: true), so a client
// retrying after a timeout never starts a second run. The same key for a different request is
// refused, and a key whose request is still being processed answers 409.
import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';
import type { IdempotencyStore } from '../store/types.js';
import { principalOf } from './auth/middleware.js';
import { ApiError, BadRequestError, ConflictError } from './errors.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** res.locals flag: this answer describes a passing condition, so the key is given back instead of kept. */
const NOT_KEPT = 'idempotentAnswerNotKept';
/** Response headers worth replaying. */
const KEPT_HEADERS = ['location'];

/** Reusing a key for another request is the client's mistake to fix, not a conflict to retry. */
export class IdempotencyMismatchError extends ApiError {
  override name = 'IdempotencyMismatchError';
  constructor(key: string) {
    super(422, 'idempotency-key-reused', 'Idempotency-Key reused', `Idempotency-Key ${key} was used for a different request in the last 24 hours: use a new key for a new request`, [
      { path: 'headers.idempotency-key', message: 'already used for a different request' },
    ]);
  }
}

function fingerprint(req: Request): string {
  return crypto
    .createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
}

function replay(res: Response, answer: { status: number; headers: Record<string, string>; body: unknown }): void {
  for (const [name, value] of Object.entries(answer.headers)) res.set(name, value);
  res.set('Idempotent-Replayed', 'true');
  // The first answer's body again, as JSON (send() of a string would say text/html).
  res.type(answer.status >= 400 ? 'application/problem+json' : 'application/json');
  res.status(answer.status).send(JSON.stringify(answer.body));
}

/**
 * Marks the answer about to be sent as one not to replay: a start refused or skipped because the
 * pipeline's concurrency limit is reached says nothing lasting, so the same request (same key) may
 * start a run once a slot is free.
 */
export function answerNotKept(res: Response): void {
  res.locals[NOT_KEPT] = true;
}

/** Route middleware (after body parsing and authentication). Without the header it does nothing. */
export function idempotent(store: IdempotencyStore, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestError('Idempotency-Key must be 1 to 255 printable ASCII characters', [{ path: 'headers.idempotency-key', message: 'invalid' }]);
    }
    const scope = principalOf(res).id ?? 'anonymous';
    store.claimIdempotency(scope, key, fingerprint(req)).then((claim) => {
      if (claim.kind === 'answered') return replay(res, claim.answer);
      if (claim.kind === 'mismatch') return next(new IdempotencyMismatchError(key));
      if (claim.kind === 'in-progress') return next(new ConflictError(`a request with Idempotency-Key ${key} is still being processed: retry shortly`));
      // Claimed: keep the answer before it goes out; give the key back if we failed on our side.
      const json = res.json.bind(res);
      res.json = ((body: unknown) => {
        const status = res.statusCode;
        const settle =
          status >= 500 || res.locals[NOT_KEPT] === true
            ? store.releaseIdempotency(scope, key)
            : store.saveIdempotentAnswer(scope, key, {
                status,
                headers: Object.fromEntries(KEPT_HEADERS.flatMap((h) => (res.get(h) ? [[h, res.get(h)!]] : []))),
                body,
              });
        settle
          .catch((err: unknown) => logger.error({ err: (err as Error).message }, 'could not store the idempotent answer'))
          .finally(() => json(body));
        return res;
      }) as Response['json'];
      next();
    }, next);
  };
}
