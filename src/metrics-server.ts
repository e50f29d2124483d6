// Serves a prom-client registry at GET /metrics on a port of its own (API and workers alike), so
// scraping needs no API key and reaches nothing else.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './log.js';

/** The SDK exporter's text, or a comment saying why it is missing (a scrape never fails for it). */
async function sdkText(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : `# Temporal SDK metrics unavailable: ${res.status}\n`;
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
  }
}

/**
 * Serves `registry` at GET /metrics on `port` (0: any free port), followed by the Temporal SDK's own
 * metrics read from `sdkUrl` when given; resolves to the server once it listens.
 */
export async function serveMetrics(registry: Registry, port: number, host: string, logger: Logger, sdkUrl?: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    Promise.all([registry.metrics(), sdkUrl ? sdkText(sdkUrl) : ''])
      .then(([ours, sdk]) => res.writeHead(200, { 'content-type': registry.contentType }).end(ours + sdk))
      .catch((err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(err as Error).message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  logger.info({ address: `${host}:${(server.address() as AddressInfo).port}` }, 'metrics served at /metrics');
  return server;
}
