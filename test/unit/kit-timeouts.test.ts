// Request timeouts of the kit's network clients against local servers that accept and then go
// quiet: an HTTP call whose answer stops half-way, and S3 requests nobody answers, fail within
// their timeout (retryably) instead of holding the node for ever.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { request, TransientHttpError } from '../../src/kit/http/client.js';
import { createS3Client } from '../../src/kit/s3.js';
import { createLogger } from '../../src/log.js';
import { testAccess } from '../helpers/access.js';

let httpServer: http.Server;
let silent: net.Server;
const sockets = new Set<net.Socket>();

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

before(async () => {
  // Sends the status line and headers, half a body, and then nothing.
  httpServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"items": [');
  });
  httpServer.on('connection', (s) => sockets.add(s));
  // Accepts connections and never says a word.
  silent = net.createServer((s) => sockets.add(s));
  await Promise.all([new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r)), new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))]);
});

after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([new Promise((r) => httpServer.close(r)), new Promise((r) => silent.close(r))]);
});

test('an HTTP answer that stops half-way fails at the request timeout, as a retryable error', async () => {
  const t0 = Date.now();
  const err = await request(
    {
      method: 'GET',
      url: new URL(`http://127.0.0.1:${portOf(httpServer)}/items`),
      headers: {},
      timeoutMs: 300,
      retry: { maxAttempts: 2, initialDelay: 10, maxDelay: 10 },
      authHint: 'config.headers',
      redact: [],
    },
    { signal: new AbortController().signal, log: createLogger('silent'), access: testAccess },
  ).then(
    () => assert.fail('the request should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TransientHttpError, `a retryable error, got ${String(err)}`);
  assert.match(err.message, /no answer within 300ms \(2 tries\)/);
  assert.ok(Date.now() - t0 < 10_000, 'it gave up at the timeout');
});

test('an S3 request nobody answers fails at the request timeout instead of waiting for ever', async () => {
  const client = createS3Client({
    endpoint: `http://127.0.0.1:${portOf(silent)}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test-secret' },
    requestTimeoutMs: 300,
  });
  const t0 = Date.now();
  try {
    await assert.rejects(client.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'key' })), (err: Error) => err.name === 'TimeoutError' && /timed out after 300 ms of inactivity/.test(err.message));
    assert.ok(Date.now() - t0 < 20_000, `it gave up after its timeout and the SDK's retries (${Date.now() - t0}ms)`);
  } finally {
    client.destroy();
  }
});
