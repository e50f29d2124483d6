// A real S3-compatible server for tests: s3rver on 127.0.0.1 with a free port, storing in a temp
// directory, with a log of the requests it served (to see multipart uploads happen).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/kit/s3.js';

// The SDK warns once per process that it will need Node 22 from 2027; tests run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** s3rver's fixed credentials: it refuses any other access key id. */
export const S3_ACCESS_KEY_ID = 'S3RVER';
export const S3_SECRET_ACCESS_KEY = 'S3RVER';

export interface TestS3 {
  endpoint: string;
  /** A client with valid credentials. */
  client: S3Client;
  /** Creates bucket `name` and returns it. */
  bucket(name: string): Promise<string>;
  /** Requests served so far, as `METHOD /path?query`. */
  requests: string[];
  /** Makes requests whose `METHOD /path?query` matches fail with a 500 (the first `failTimes`) or wait `delayMs` first. */
  inject(fault: Fault): () => void;
  /** Keys under `prefix` in `bucket`, sorted. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  get(bucket: string, key: string): Promise<Buffer>;
  head(bucket: string, key: string): Promise<HeadObjectCommandOutput>;
  /** Makes every object under `prefix` look last written at `when` (s3rver reports file mtimes). */
  backdate(bucket: string, prefix: string, when: Date): Promise<void>;
  /** Worker environment that points the S3 staging store and s3:// reads at this server. */
  stagingEnv(url: string): Record<string, string>;
  stop(): Promise<void>;
}

export interface Fault {
  match: RegExp;
  failTimes?: number;
  delayMs?: number;
}

export async function startS3(): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true });
  const { port } = (await server.run()) as AddressInfo;
  const requests: string[] = [];
  const faults = new Set<Fault>();
  const http = (server as unknown as { httpServer: Server }).httpServer;
  // Put our own handler in front of s3rver's: it logs every request and applies injected faults.
  const serve = http.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const line = `${req.method} ${req.url}`;
    requests.push(line);
    const fault = [...faults].find((f) => f.match.test(line));
    if (fault?.failTimes) {
      fault.failTimes -= 1;
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected failure</Message></Error>');
      return;
    }
    if (fault?.delayMs) setTimeout(() => serve(req, res), fault.delayMs);
    else serve(req, res);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({ endpoint, credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY } });

  async function walk(p: string, out: string[]): Promise<void> {
    for (const e of await fs.promises.readdir(p, { withFileTypes: true })) {
      const full = path.join(p, e.name);
      if (e.isDirectory()) await walk(full, out);
      else out.push(full);
    }
  }

  return {
    endpoint,
    client,
    requests,
    inject(fault) {
      faults.add(fault);
      return () => faults.delete(fault);
    },
    async bucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async keys(bucket, prefix = '') {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) keys.push(o.Key!);
      }
      return keys.sort();
    },
    async get(bucket, key) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    head: (bucket, key) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    async backdate(bucket, prefix, when) {
      const files: string[] = [];
      const base = path.join(dir, bucket, prefix);
      if (!fs.existsSync(base)) throw new Error(`nothing stored under s3://${bucket}/${prefix}`);
      await walk(base, files);
      for (const f of files) await fs.promises.utimes(f, when, when);
    },
    stagingEnv(url) {
      return { SLUICE_STAGING_URL: url, SLUICE_S3_ENDPOINT: endpoint, SLUICE_S3_ACCESS_KEY_ID: S3_ACCESS_KEY_ID, SLUICE_S3_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY };
    },
    async stop() {
      client.destroy();
      http.closeAllConnections();
      await server.close();
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}
