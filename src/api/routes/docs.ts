// The API reference at /api/docs: Swagger UI (swagger-ui-dist, served from node_modules, no CDN)
// rendering the OpenAPI document. The page and the document are public: the document describes the
// API and the node types, never data; every call the page's "Try it out" makes needs a key
// (Authorize). The page has its own CSP: scripts and styles from this origin only.
import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import { methodNotAllowed } from '../problem.js';
import { NotFoundError } from '../errors.js';

const UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only files of swagger-ui-dist the page loads. */
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice API reference</title>
<link rel="icon" href="assets/favicon-32x32.png">
<link rel="stylesheet" href="assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="assets/swagger-ui-bundle.js"></script>
<script src="assets/swagger-ui-standalone-preset.js"></script>
<script src="init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

const pageHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      // Swagger UI sets style attributes from its scripts (React); no inline <style> is allowed.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
  },
});

/** `document()` renders the OpenAPI document (cached by the caller). */
export function docsRouter(document: () => Record<string, unknown>): express.Router {
  const router = express.Router();
  router.use(pageHeaders);
  // `/api/docs` -> `/api/docs/`, so the page's relative URLs resolve under it.
  router
    .route('/')
    .get((req, res) => {
      if (!req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, `${req.baseUrl}/`);
      res.type('html').send(PAGE);
    })
    .all(methodNotAllowed('GET'));
  router.route('/init.js').get((_req, res) => void res.type('js').send(INIT)).all(methodNotAllowed('GET'));
  router.route('/openapi.json').get((_req, res) => void res.json(document())).all(methodNotAllowed('GET'));
  for (const asset of ASSETS) {
    router
      .route(`/assets/${asset}`)
      .get((_req, res) => res.sendFile(path.join(UI_DIR, asset), { maxAge: '1h' }))
      .all(methodNotAllowed('GET'));
  }
  router.use((req) => {
    throw new NotFoundError(`no page /api/docs${req.path}; the API reference is /api/docs/`);
  });
  return router;
}
