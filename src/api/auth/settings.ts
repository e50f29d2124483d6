// How the API authenticates, from configuration; and the start-up rule that an API reachable by
// others never runs open by accident: with no key, no OIDC issuer and no SLUICE_AUTH=off it refuses.
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { KeyStore } from '../../store/types.js';
import type { AuthSettings } from './middleware.js';
import { createOidcVerifier } from './oidc.js';

export class NoAuthenticationError extends Error {
  override name = 'NoAuthenticationError';
}

type AuthConfig = Pick<Config, 'SLUICE_AUTH' | 'SLUICE_OIDC_ISSUER' | 'SLUICE_OIDC_AUDIENCE' | 'SLUICE_OIDC_ROLES_CLAIM'>;

export async function authSettings(config: AuthConfig, keys: KeyStore, logger: Logger): Promise<AuthSettings> {
  if (config.SLUICE_AUTH === 'off') {
    logger.error('SLUICE_AUTH=off: the API accepts every request as admin, without a key. Use this only on a trusted local network.');
    return { mode: 'off', oidc: null };
  }
  if (config.SLUICE_OIDC_ISSUER && !config.SLUICE_OIDC_AUDIENCE) throw new NoAuthenticationError('SLUICE_OIDC_ISSUER is set but SLUICE_OIDC_AUDIENCE is not: set the audience tokens must be issued for');
  const oidc = config.SLUICE_OIDC_ISSUER
    ? createOidcVerifier({ issuer: config.SLUICE_OIDC_ISSUER, audience: config.SLUICE_OIDC_AUDIENCE!, rolesClaim: config.SLUICE_OIDC_ROLES_CLAIM })
    : null;
  if (!oidc && (await keys.countUsableKeys()) === 0) {
    throw new NoAuthenticationError(
      'no way to authenticate callers: create an API key first (`sluice keys create --name admin --role admin`, with the same DATABASE_URL), ' +
        'or set SLUICE_OIDC_ISSUER and SLUICE_OIDC_AUDIENCE, or SLUICE_AUTH=off on a trusted local network',
    );
  }
  return { mode: 'on', oidc };
}
