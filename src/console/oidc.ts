// Single sign-on from the console: OIDC authorization code with PKCE. The API says where the
// issuer's sign-in page is (GET /console-auth/oidc); the person signs in there and comes back to
// /oidc/callback with a code, which the API redeems at the issuer (POST /console-auth/oidc/token)
// for a bearer token the console then uses like an API key. The verifier and state live in this
// tab's sessionStorage between the two pages, and are removed on return.
import { unwrap, type Schemas, type SluiceClient } from './api.js';

const PENDING = 'sluice.oidcPending';
export const CALLBACK_PATH = '/oidc/callback';

type OidcConfig = Extract<Schemas['OidcConfig'], { enabled: true }>;

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomText = (bytes: number) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** The issuer's sign-in settings, or null when the API has no single sign-on. */
export async function oidcConfig(client: SluiceClient): Promise<OidcConfig | null> {
  const config = unwrap(await client.GET('/console-auth/oidc'));
  return config.enabled ? config : null;
}

/** Sends the browser to the issuer's sign-in page; it comes back to CALLBACK_PATH. */
export type { OidcConfig };

export async function startSignOn(config: OidcConfig, returnTo: string): Promise<void> {
  const verifier = randomText(48);
  const state = randomText(24);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(config.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: `${location.origin}${CALLBACK_PATH}`,
    scope: config.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(config.audience ? { audience: config.audience } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/** On CALLBACK_PATH: the token for the code the issuer sent back, and where to go next. */
export async function finishSignOn(client: SluiceClient, query: URLSearchParams): Promise<{ token: string; returnTo: string }> {
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  const error = query.get('error');
  if (error) throw new Error(`the identity provider refused the sign-in: ${[error, query.get('error_description')].filter(Boolean).join(': ')}`);
  const pending = raw ? (JSON.parse(raw) as { verifier: string; state: string; returnTo: string }) : null;
  if (!pending || pending.state !== query.get('state')) throw new Error('this sign-in was not started from this tab (its state does not match): start it again');
  const code = query.get('code');
  if (!code) throw new Error('the identity provider sent no code back');
  const token = unwrap(await client.POST('/console-auth/oidc/token', { body: { code, codeVerifier: pending.verifier, redirectUri: `${location.origin}${CALLBACK_PATH}` } }));
  return { token: token.accessToken, returnTo: pending.returnTo.startsWith('/') && !pending.returnTo.startsWith('//') ? pending.returnTo : '/' };
}
