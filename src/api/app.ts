// The Express application: routes under /api/v1, request logs, and errors as problem+json.
import type { ApiMetrics } from './metrics.js';
import express, { type RequestHandler } from 'express';
import type { Logger } from '../log.js';
import type { AppDeps } from './deps.js';
import { openApiDocument } from './openapi.js';
import { docsRouter } from './routes/docs.js';
import { consoleAuthRouter } from './routes/console-auth.js';
import { methodNotAllowed, notFoundHandler, problemHandler } from './problem.js';
import { auditTrail, authenticate, authorize, requestId } from './auth/middleware.js';
import { corsFor, DEFAULT_WEB, noFormBodies, rateLimitPerCaller, securityHeaders } from './guards.js';
import { accessRouter } from './routes/access.js';
import { checkRouter } from './routes/check.js';
import { codecRouter } from './routes/codec.js';
import { consoleRouter } from './console.js';
import { pipelinesRouter } from './routes/pipelines.js';
import { runsRouter } from './routes/runs.js';
import { schedulesRouter } from './routes/schedules.js';
import { logsRouter } from './routes/logs.js';
import { rejectedRouter } from './routes/rejected.js';

export type { AppDeps } from './deps.js';

/** One log line per request: method, path, status, duration. Never bodies. */
/** Where routers are mounted: an error answered by the app's handler has left its router, and its baseUrl with it. */
const MOUNTS = ['/api/v1', '/codec'];

/** The matched route's pattern (`/api/v1/runs/:runId`), or `unmatched`. */
function routeOf(req: express.Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return 'unmatched';
  const base = req.baseUrl || (MOUNTS.find((m) => req.originalUrl.startsWith(`${m}/`)) ?? '');
  return `${base}${path}`;
}

function requestLog(logger: Logger, metrics?: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      // By route pattern (`/api/v1/runs/:runId`), never by the path a caller sent: bounded label values.
      metrics?.request(req.method, routeOf(req), res.statusCode, ms / 1000);
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
  app.use(requestLog(deps.logger, deps.metrics));
  app.use(securityHeaders);
  // Pages and assets need no key (the console asks for one); it sets its own CSP over the API's.
  app.use(consoleRouter(deps.console ?? { namespace: deps.codec?.namespace ?? 'default' }));
  app.use('/codec', codecRouter(deps));
  // Before authentication, so a browser's preflight (which carries no key) is answered.
  app.use(corsFor(web.corsOrigins));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, auth: deps.auth.mode === 'off' ? 'off' : deps.auth.oidc ? 'keys+oidc' : 'keys' });
  });

  // The API reference: public, like the document it renders (no data in either).
  let openapi: Record<string, unknown> | undefined;
  const document = () => (openapi ??= openApiDocument(deps.catalog));
  app.use('/api/docs', docsRouter(document));
  // The console's single sign-on: before authentication, since it is how a person gets a token.
  app.use('/console-auth', consoleAuthRouter(deps.console?.oidc, web.ratePerMinute));

  // Everything else needs a principal, and every mutating or refused request is audited.
  // Accepted log batches are not audited (a worker sends one every second or so); refused ones are.
  app.use(auditTrail(deps.store, deps.logger, (req) => ['GET', 'HEAD', 'OPTIONS'].includes(req.method) || (req.method === 'POST' && req.originalUrl.split('?')[0] === '/api/v1/ingest/logs')));
  app.use(authenticate(deps.store, deps.auth, deps.logger));
  app.use(rateLimitPerCaller(web.ratePerMinute));
  app.use(noFormBodies);

  const api = express.Router();
  api
    .route('/openapi.json')
    .get(authorize('openapi.read'), (_req, res) => {
      res.json(document());
    })
    .all(methodNotAllowed('GET'));
  api.use(pipelinesRouter(deps));
  api.use(checkRouter(deps));
  api.use(runsRouter(deps));
  api.use(rejectedRouter(deps));
  api.use(schedulesRouter(deps));
  api.use(accessRouter(deps));
  api.use(logsRouter(deps));
  app.use('/api/v1', api);

  app.use(notFoundHandler);
  app.use(problemHandler(deps.logger));
  return app;
}
