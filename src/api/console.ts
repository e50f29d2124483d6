// Serves the console (the web UI built by scripts/build-console.ts into dist/console) at `/`: its
// assets, and index.html for any page a browser asks for outside /api, /codec and /healthz, so deep
// links work. The console gets its own strict CSP (the API keeps `default-src 'none'`), and learns
// the Temporal Web UI's address from <meta> tags filled in here: no inline script, no config call.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Request, type RequestHandler } from 'express';

export interface ConsoleSettings {
  /** The built console (index.html, assets/); default dist/console at the repository's root. */
  dir?: string;
  /** The Temporal Web UI's address (SLUICE_TEMPORAL_UI_URL); no run links when unset. */
  temporalUiUrl?: string | undefined;
  /** The Temporal namespace runs live in, for those links. */
  namespace: string;
  /** Single sign-on for the console (routes/console-auth.ts); API keys only when unset. */
  oidc?: ConsoleOidcSettings;
}

export interface ConsoleOidcSettings {
  issuer: string;
  audience: string | undefined;
  clientId: string;
  clientSecret?: string | undefined;
  scopes: string;
}

export const CONSOLE_DIR = path.join(import.meta.dirname, '..', '..', 'dist', 'console');

/**
 * The console's CSP. React, @xyflow/react and d3 set styles through the CSSOM, which style-src
 * allows; CodeMirror adds one <style> element, which gets the page's nonce (a fresh one per page).
 */
export function consoleCsp(styleNonce?: string): string {
  return CSP.replace("style-src 'self'", styleNonce ? `style-src 'self' 'nonce-${styleNonce}'` : "style-src 'self'");
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Not the console's: the API, the codec endpoint and the health check answer for themselves. */
const NOT_CONSOLE = /^\/(api|codec|healthz|console-auth)(\/|$)/;

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A page navigation (a browser asking for HTML), as opposed to an API client probing a path. */
function wantsPage(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && !NOT_CONSOLE.test(req.path) && (req.path === '/' || (req.get('accept') ?? '').includes('text/html'));
}

export function consoleRouter(settings: ConsoleSettings): Router {
  const dir = settings.dir ?? CONSOLE_DIR;
  const router = Router();
  const csp: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', consoleCsp());
    next();
  };
  router.use('/assets', csp, express.static(path.join(dir, 'assets'), { fallthrough: false, index: false, cacheControl: true, maxAge: 0 }));
  const meta = [
    settings.temporalUiUrl ? `<meta name="sluice-temporal-ui" content="${escapeAttr(settings.temporalUiUrl.replace(/\/+$/, ''))}">` : '',
    `<meta name="sluice-namespace" content="${escapeAttr(settings.namespace)}">`,
  ].join('');
  // Read at each page load (it is small): a rebuild while the API runs is served at once.
  router.use((req, res, next) => {
    if (!wantsPage(req)) return next();
    const nonce = randomBytes(16).toString('base64');
    res.setHeader('Content-Security-Policy', consoleCsp(nonce));
    res.setHeader('Cache-Control', 'no-cache');
    let html: string;
    try {
      html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
    } catch {
      res.status(503).type('text/plain').send('The Sluice console is not built: run `npm run console:build` (npm run demo and npm test build it themselves).\n');
      return;
    }
    res.type('html').send(html.replace('<!--sluice:meta-->', `${meta}<meta name="sluice-style-nonce" content="${nonce}">`));
  });
  return router;
}
