// The console's single sign-on (OIDC authorization code with PKCE), for teams whose API accepts
// their identity provider's tokens. The browser gets where to send the person
// (GET /console-auth/oidc) and hands the code it comes back with to the API
// (POST /console-auth/oidc/token), which redeems it at the issuer's token endpoint: the browser
// talks to the issuer only through redirects (no CORS or CSP opening), and a client secret, where
// an issuer demands one, stays on the server. The token it returns is used as a bearer token like
// any OIDC token, verified on every request by auth/oidc.ts.
import express from 'express';
import { z } from 'zod';
import type { ConsoleOidcSettings } from '../console.js';
import { ApiError, NotFoundError, UnavailableError } from '../errors.js';
import { methodNotAllowed } from '../problem.js';
import { rateLimitPerCaller } from '../guards.js';
import { optionalJsonBody } from '../body.js';

export const oidcConfigResponse = z.union([
  z.object({ enabled: z.literal(false).describe('no single sign-on here: sign in with an API key') }),
  z.object({
  enabled: z.literal(true),
  issuer: z.string(),
  authorizationEndpoint: z.string().describe("where the console sends the person to sign in (the issuer's authorization_endpoint)"),
  clientId: z.string(),
  scope: z.string(),
  audience: z.string().nullable().describe('sent as `audience` for issuers that take it (the API tokens must be issued for)'),
  }),
]);

export const oidcTokenBody = z.strictObject({
  code: z.string().min(1).max(4096),
  codeVerifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/, 'expected a PKCE code verifier (43-128 unreserved characters)'),
  redirectUri: z.url().max(2000).refine((u) => /^https?:$/.test(new URL(u).protocol) && new URL(u).pathname === '/oidc/callback', 'expected the console\'s /oidc/callback address'),
});

export const oidcTokenResponse = z.object({
  accessToken: z.string().describe('a bearer token for the API'),
  expiresIn: z.number().int().nullable().describe('seconds the token lives, when the issuer says'),
});

class SignInRefusedError extends ApiError {
  constructor(detail: string) {
    super(400, 'sign-in-refused', 'Sign-in refused by the identity provider', detail);
  }
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

const IDP_TIMEOUT_MS = 10_000;

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let doc: Partial<Discovery>;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(IDP_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    doc = (await res.json()) as Partial<Discovery>;
  } catch (err) {
    throw new UnavailableError(`the identity provider's discovery document (${url}) cannot be read: ${(err as Error).message}`);
  }
  if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
    throw new UnavailableError(`the identity provider's discovery document (${url}) names no authorization_endpoint or token_endpoint`);
  }
  return { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint };
}

export function consoleAuthRouter(settings: ConsoleOidcSettings | undefined, ratePerMinute: number): express.Router {
  const router = express.Router();
  let discovery: Promise<Discovery> | null = null;
  const endpoints = (): Promise<Discovery> => {
    discovery ??= discover(settings!.issuer);
    // Found again after a failure: an issuer down at one moment is not remembered as broken.
    discovery.catch(() => (discovery = null));
    return discovery;
  };
  const configured: express.RequestHandler = (_req, _res, next) => {
    if (!settings) throw new NotFoundError('single sign-on is not configured on this API (SLUICE_OIDC_ISSUER and SLUICE_OIDC_CLIENT_ID): sign in with an API key');
    next();
  };
  router.use(rateLimitPerCaller(ratePerMinute, 'address'));
  router
    .route('/oidc')
    .get(async (_req, res) => {
      // Asked by every sign-in page: "not configured" is an answer, not an error.
      if (!settings) return void res.json({ enabled: false } satisfies z.infer<typeof oidcConfigResponse>);
      const { authorization_endpoint } = await endpoints();
      const body: z.infer<typeof oidcConfigResponse> = { enabled: true, issuer: settings!.issuer, authorizationEndpoint: authorization_endpoint, clientId: settings!.clientId, scope: settings!.scopes, audience: settings!.audience ?? null };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/oidc/token')
    .post(configured, express.json({ limit: '16kb', strict: true }), async (req, res) => {
      const body = oidcTokenBody.parse(optionalJsonBody(req));
      const { token_endpoint } = await endpoints();
      const form = new URLSearchParams({ grant_type: 'authorization_code', code: body.code, redirect_uri: body.redirectUri, client_id: settings!.clientId, code_verifier: body.codeVerifier });
      if (settings!.clientSecret) form.set('client_secret', settings!.clientSecret);
      let answer: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
      let status: number;
      try {
        const r = await fetch(token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form, signal: AbortSignal.timeout(IDP_TIMEOUT_MS) });
        status = r.status;
        answer = (await r.json().catch(() => ({}))) as typeof answer;
      } catch (err) {
        throw new UnavailableError(`the identity provider's token endpoint cannot be reached: ${(err as Error).message}`);
      }
      if (status >= 400 || typeof answer.access_token !== 'string') {
        // The issuer's own words (error codes are short and hold no secret); never the code or verifier.
        const why = [answer.error, answer.error_description].filter((v): v is string => typeof v === 'string').map((v) => v.slice(0, 300)).join(': ');
        throw new SignInRefusedError(`the identity provider did not give a token (HTTP ${status}${why ? `, ${why}` : ''})`);
      }
      const out: z.infer<typeof oidcTokenResponse> = { accessToken: answer.access_token, expiresIn: typeof answer.expires_in === 'number' ? Math.floor(answer.expires_in) : null };
      res.set('Cache-Control', 'no-store').json(out);
    })
    .all(methodNotAllowed('POST'));
  return router;
}
