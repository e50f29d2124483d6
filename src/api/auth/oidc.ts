// OIDC bearer tokens for teams with an identity provider: a JWT signed by the issuer (keys from
// its JWKS, found through its discovery document), for our audience, whose roles claim names a
// Sluice role. Verified with jose; the token itself is never logged or echoed.
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { ROLES, type Principal, type Role } from './roles.js';

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** Claim holding the caller's roles (a string or a list); the strongest Sluice role in it applies. */
  rolesClaim: string;
}

export interface OidcVerifier {
  verify(token: string): Promise<Principal>;
}

async function discoverJwks(issuer: string): Promise<URL> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
  return new URL(doc.jwks_uri);
}

function strongestRole(claim: unknown): Role | null {
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  let best = -1;
  for (const v of values) best = Math.max(best, ROLES.indexOf(v as Role));
  return best >= 0 ? ROLES[best]! : null;
}

export function createOidcVerifier(settings: OidcSettings): OidcVerifier {
  let jwks: Promise<JWTVerifyGetKey> | null = null;
  const keys = (): Promise<JWTVerifyGetKey> => {
    // Discovered on first use and again after a failure, so an issuer that is down at start-up
    // does not keep the API from starting or from recovering.
    jwks ??= discoverJwks(settings.issuer).then((uri) => createRemoteJWKSet(uri, { timeoutDuration: 5000 }));
    jwks.catch(() => {
      jwks = null;
    });
    return jwks;
  };
  return {
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, await keys(), { issuer: settings.issuer, audience: settings.audience }));
      } catch (err) {
        if (err instanceof errors.JOSEError) throw new UnauthorizedError(`the bearer token is not valid (${err.code})`);
        throw new UnauthorizedError(`the bearer token cannot be verified now: ${(err as Error).message}`);
      }
      const role = strongestRole(payload[settings.rolesClaim]);
      if (!role) throw new ForbiddenError(`the token's ${settings.rolesClaim} claim names no Sluice role (${ROLES.join(', ')})`);
      const sub = typeof payload.sub === 'string' ? payload.sub : null;
      return { kind: 'oidc', id: sub, name: typeof payload.email === 'string' ? payload.email : sub, role, pipelines: null };
    },
  };
}
