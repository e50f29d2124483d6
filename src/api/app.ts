// The Express application: routes under /api/v1, request logs, and errors as problem+json.
import express, { type RequestHandler } from 'express';
import type { Logger } from '../log.js';
import type { AppDeps } from './deps.js';
import { openApiDocument } from './openapi.js';
import { methodNotAllowed, notFoundHandler, problemHandler } from './problem.js';
import { auditTrail, authenticate, authorize, requestId } from './auth/middleware.js';
import { corsFor, DEFAULT_WEB, noFormBodies, rateLimitPerCaller, securityHeaders } from './guards.js';
import { accessRouter } from './routes/access.js';
import { checkRouter } from './routes/check.js';
import { codecRouter } from './routes/codec.js';
import { pipelinesRouter } from './routes/pipelines.js';
import { runsRouter } from './routes/runs.js';
import { logsRouter } from './routes/logs.js';

export type { AppDeps } from './deps.js';

/** One log line per request: method, path, status, duration. Never bodies. */
function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const line = { method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.statusCode >= 500) logger.error(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}

/** Builds the app; it holds no run state, so any number of instances can serve the same system. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const web = deps.web ?? DEFAULT_WEB;
  app.use(requestId);
  app.use(requestLog(deps.logger));
  app.use(securityHeaders);
  app.use('/codec', codecRouter(deps));
  // Before authentication, so a browser's preflight (which carries no key) is answered.
  app.use(corsFor(web.corsOrigins));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, auth: deps.auth.mode === 'off' ? 'off' : deps.auth.oidc ? 'keys+oidc' : 'keys' });
  });

  // Everything else needs a principal, and every mutating or refused request is audited.
  // Accepted log batches are not audited (a worker sends one every second or so); refused ones are.
  app.use(auditTrail(deps.store, deps.logger, (req) => ['GET', 'HEAD', 'OPTIONS'].includes(req.method) || (req.method === 'POST' && req.originalUrl.split('?')[0] === '/api/v1/ingest/logs')));
  app.use(authenticate(deps.store, deps.auth, deps.logger));
  app.use(rateLimitPerCaller(web.ratePerMinute));
  app.use(noFormBodies);

  const api = express.Router();
  let openapi: Record<string, unknown> | undefined;
  api
    .route('/openapi.json')
    .get(authorize('openapi.read'), (_req, res) => {
      openapi ??= openApiDocument(deps.catalog);
      res.json(openapi);
    })
    .all(methodNotAllowed('GET'));
  api.use(pipelinesRouter(deps));
  api.use(checkRouter(deps));
  api.use(runsRouter(deps));
  api.use(accessRouter(deps));
  api.use(logsRouter(deps));
  app.use('/api/v1', api);

  app.use(notFoundHandler);
  app.use(problemHandler(deps.logger));
  return app;
}
