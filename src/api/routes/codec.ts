// Temporal's codec-server protocol on the API (POST /codec/decode and /codec/encode), so the
// Temporal Web UI and CLI can show encrypted payloads decoded, to a caller the API trusts: a
// valid API key or OIDC token (viewer to decode, operator to encode, unscoped keys only, since a
// payload does not say which pipeline it belongs to), or, for `sluice dev` on loopback only, the
// dev Web UI's own origin. CORS is granted to the configured Web UI origins and nobody else;
// requests from any other browser origin are refused outright. Bad bodies are 4xx problem+json.
import cors from 'cors';
import express, { type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { PayloadDecryptionError } from '../../codec/codec.js';
import { auditTrail, authenticate, authorize, principalOf } from '../auth/middleware.js';
import type { AppDeps, CodecSettings } from '../deps.js';
import { BadRequestError, ForbiddenError, NotFoundError, UnsupportedMediaTypeError, problemClass } from '../errors.js';
import { rateLimitPerCaller, DEFAULT_WEB } from '../guards.js';
import { methodNotAllowed } from '../problem.js';

/** One Temporal payload is at most 2 MiB (its blob limit), about 2.7 MB as base64. */
const MAX_BODY = '4mb';
const MAX_PAYLOADS = 1000;
const MAX_METADATA_ENTRIES = 64;

export class UndecodablePayloadError extends problemClass(422, 'undecodable-payload', 'Payload cannot be decoded') {
  override name = 'UndecodablePayloadError';
}

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
const payloadJson = z.object({
  metadata: z
    .record(z.string().min(1).max(256), base64)
    .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, `at most ${MAX_METADATA_ENTRIES} metadata entries`)
    .optional(),
  data: base64.optional(),
});
export const codecBody = z.object({ payloads: z.array(payloadJson).max(MAX_PAYLOADS, `at most ${MAX_PAYLOADS} payloads per request`) });

type PayloadJson = z.output<typeof payloadJson>;

function fromJson(p: PayloadJson): Payload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return { metadata, data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')) };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

const LOOPBACK_HOST = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d{1,5})?$/;

function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && (/^(::ffff:)?127\./.test(address) || address === '::1');
}

/**
 * `sluice dev` on loopback: the dev Web UI (http, so it cannot send a token) may call without a
 * key. Its Origin must be the dev UI's exact origin (a page elsewhere, or a DNS-rebinding page,
 * sends its own), the connection must come from this machine, and Host must name a loopback host.
 */
function fromLocalUi(req: Request, settings: CodecSettings): boolean {
  const origin = req.get('origin');
  return (
    settings.localUiOrigins.length > 0 &&
    req.get('authorization') === undefined &&
    origin !== undefined &&
    settings.localUiOrigins.includes(origin) &&
    isLoopbackAddress(req.socket.remoteAddress) &&
    LOOPBACK_HOST.test(req.get('host') ?? '')
  );
}

/** The codec endpoints, mounted at /codec before the API's own CORS and authentication. */
export function codecRouter(deps: AppDeps): express.Router {
  const settings = deps.codec ?? { codec: null, namespace: 'default', origins: [], localUiOrigins: [] };
  const allowed = new Set([...settings.origins, ...settings.localUiOrigins]);
  const router = express.Router();

  // CORS for the Web UI origins only; a preflight from one of them ends here with 204.
  router.use(
    cors({
      origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
      methods: ['POST', 'GET', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
      // The Web UI's "include cross-origin credentials" makes it fetch with credentials.
      credentials: true,
      maxAge: 600,
    }),
  );
  // Decoding is a read (not audited unless refused); encoding makes ciphertext under the keys, so it is.
  router.use(auditTrail(deps.store, deps.logger, (req) => req.method !== 'POST' || req.path === '/decode'));
  router.use((req, _res, next) => {
    const origin = req.get('origin');
    if (origin !== undefined && !allowed.has(origin)) {
      throw new ForbiddenError(`browser origin ${origin} may not call the codec endpoint: list the Temporal Web UI's origin in SLUICE_CODEC_CORS_ORIGINS`);
    }
    next();
  });
  const withKey = authenticate(deps.store, deps.auth, deps.logger);
  const localUi = authenticate(deps.store, { mode: 'off', oidc: null }, deps.logger);
  router.use((req, res, next) => (fromLocalUi(req, settings) ? localUi : withKey)(req, res, next));
  router.use(rateLimitPerCaller((deps.web ?? DEFAULT_WEB).ratePerMinute));

  const onlyUnscoped: RequestHandler = (_req, res, next) => {
    const p = principalOf(res);
    if (p.pipelines !== null) throw new ForbiddenError(`the codec endpoint needs a key for every pipeline (payloads do not say which pipeline they belong to); this key is limited to ${p.pipelines.join(', ')}`);
    next();
  };

  const serve = (direction: 'encode' | 'decode'): RequestHandler[] => [
    authorize(direction === 'decode' ? 'payload.decode' : 'payload.encode'),
    onlyUnscoped,
    express.json({ limit: MAX_BODY, strict: true, type: ['application/json'] }),
    async (req, res) => {
      const codec = settings.codec;
      if (!codec) throw new NotFoundError('payload encryption is off on this API (SLUICE_PAYLOAD_KEYS is not set), so there is nothing to decode or encode');
      const namespace = req.get('x-namespace');
      if (namespace !== undefined && namespace !== settings.namespace) {
        throw new BadRequestError(`this codec serves namespace ${settings.namespace}, not ${namespace.slice(0, 200)}`, [{ path: 'X-Namespace', message: `expected ${settings.namespace}` }]);
      }
      if (!req.is('application/json')) throw new UnsupportedMediaTypeError(`send application/json with {"payloads": [...]}, not ${req.get('content-type') ?? 'no body'}`);
      const body = codecBody.parse(req.body);
      const out: Payload[] = [];
      for (const [i, p] of body.payloads.entries()) {
        try {
          out.push(...(await codec[direction]([fromJson(p)])));
        } catch (err) {
          if (err instanceof PayloadDecryptionError) throw new UndecodablePayloadError(`payloads[${i}]: ${err.message}`);
          // A payload's data that is not a serialized payload inside a valid envelope cannot reach here (it is authenticated).
          throw err;
        }
      }
      res.json({ payloads: out.map(toJson) });
    },
  ];

  router.route('/decode').post(...serve('decode')).all(methodNotAllowed('POST'));
  router.route('/encode').post(...serve('encode')).all(methodNotAllowed('POST'));
  router.use((req) => {
    throw new NotFoundError(`no route for ${req.method} /codec${req.path}; the codec endpoints are POST /codec/decode and /codec/encode`);
  });
  return router;
}
