// s3.write: one object per input part under `prefix`, named by part index, so a retried or
// resumed part overwrites its own object and the visible result is exactly one copy of each
// part. Loading first withdraws the prefix's old manifest; `finish` verifies every object, removes
// part objects an earlier, larger load left there, and writes the new manifest last.
import { DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type Access, ConfigError, createS3Client, explainS3Error, isNotFound, type S3Hints, type SinkContext, type SinkWriter } from '../../src/kit/index.js';
import { contentType, encodeObject, extension } from './format.js';
import { MANIFEST_NAME, objectName, PART_OBJECT, type ManifestObject, type S3Manifest } from './manifest.js';
import type { S3WriteConfig } from './schema.js';

const HINTS: S3Hints = { credentials: 'config.credentials', bucket: 'config.bucket', endpoint: 'config.endpoint' };
/** Parts of one multipart upload sent at once, and objects verified at once in `finish`. */
const CONCURRENCY = 4;
const MIB = 1024 * 1024;
// S3 lower-cases user metadata names.
const META_RUN = 'sluice-run';
const META_NODE = 'sluice-node';
const META_ROWS = 'sluice-rows';

/**
 * A client for the config's store, once the site's policy allows its host. A custom endpoint must
 * come with explicit credentials: the worker's own AWS credentials are never signed over to a
 * host the spec names.
 */
export async function s3Client(config: S3WriteConfig, access: Access): Promise<S3Client> {
  if (config.endpoint && !config.credentials) {
    throw new ConfigError('config.credentials: required with config.endpoint, so the worker\'s own AWS credentials are never sent to another host: give { accessKeyId, secretAccessKey } as { $secret }');
  }
  const host = config.endpoint ? new URL(config.endpoint) : new URL(`https://s3.${config.region ?? process.env.AWS_REGION ?? 'us-east-1'}.amazonaws.com`);
  await access.egress(host, config.endpoint ? 'config.endpoint' : 'config.region');
  return createS3Client({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.forcePathStyle !== undefined ? { forcePathStyle: config.forcePathStyle } : {}),
    connectTimeoutMs: config.connectTimeout,
    requestTimeoutMs: config.requestTimeout,
  });
}

/** `a/b/` and `/a/b` are the same prefix `a/b`; keys are `a/b/<name>`. */
export function keyPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function open(config: S3WriteConfig, ctx: SinkContext): Promise<SinkWriter> {
  const client = await s3Client(config, ctx.access);
  const base = keyPrefix(config.prefix);
  const ext = extension(config);
  const manifestKey = base + MANIFEST_NAME;
  const where = (key: string) => `s3://${config.bucket}/${key}`;
  const fail = (err: unknown, what: string) => explainS3Error(err, what, config.bucket, HINTS);

  try {
    // While this load replaces objects, the prefix must not claim to hold a complete (older) load.
    await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: manifestKey }));
  } catch (err) {
    client.destroy();
    throw fail(err, `withdrawing the old manifest ${where(manifestKey)}`);
  }

  async function verify(index: number): Promise<ManifestObject> {
    const key = base + objectName(index, ext);
    let head;
    try {
      head = await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) throw new Error(`object ${where(key)} of part ${index} is missing: it was deleted while the load ran`);
      throw fail(err, `verifying ${where(key)}`);
    }
    const meta = head.Metadata ?? {};
    if (meta[META_RUN] !== ctx.runId || meta[META_NODE] !== ctx.nodeId) {
      throw new ConfigError(
        `config.prefix: object ${where(key)} was overwritten by run ${meta[META_RUN] ?? '(unknown)'} node ${meta[META_NODE] ?? '(unknown)'}: ` +
          `two loads are writing to the same prefix; give each its own prefix (e.g. with {{ params.date }})`,
      );
    }
    return { key, rows: Number(meta[META_ROWS] ?? 0), bytes: head.ContentLength ?? 0 };
  }

  /** Deletes part objects under the prefix that this load did not write (an earlier load's extra parts or other format). */
  async function removeStale(keep: ReadonlySet<string>): Promise<void> {
    const stale: string[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client }, { Bucket: config.bucket, Prefix: `${base}part-` })) {
        for (const o of page.Contents ?? []) {
          const name = o.Key?.slice(base.length) ?? '';
          if (PART_OBJECT.test(name) && !keep.has(o.Key!)) stale.push(o.Key!);
        }
      }
      for (let i = 0; i < stale.length; i += 1000) {
        const res = await client.send(new DeleteObjectsCommand({ Bucket: config.bucket, Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
        const failed = res.Errors?.[0];
        if (failed) throw Object.assign(new Error(`${failed.Key}: ${failed.Message ?? ''}`), { Code: failed.Code });
      }
    } catch (err) {
      throw fail(err, `removing part objects of an earlier load under ${where(base)}`);
    }
  }

  return {
    async write(index, rows) {
      const key = base + objectName(index, ext);
      const body = await encodeObject(rows, ctx.schema, config);
      const upload = new Upload({
        client,
        params: {
          Bucket: config.bucket,
          Key: key,
          Body: body,
          ContentType: contentType(config),
          Metadata: { [META_RUN]: ctx.runId, [META_NODE]: ctx.nodeId, [META_ROWS]: String(rows.length) },
        },
        // Bodies up to partSize go in one PUT; larger ones as a multipart upload, aborted on failure.
        partSize: config.partSizeMb * MIB,
        queueSize: CONCURRENCY,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (err) {
        throw fail(err, `writing ${where(key)}`);
      }
      return { skipped: false };
    },

    async finish(summary) {
      const indexes = Array.from({ length: summary.batches }, (_, i) => i);
      const objects = await mapLimit(indexes, CONCURRENCY, verify);
      const rows = objects.reduce((n, o) => n + o.rows, 0);
      if (rows !== summary.rows) throw new Error(`the objects under ${where(base)} hold ${rows} rows but ${summary.rows} were loaded`);
      await removeStale(new Set(objects.map((o) => o.key)));
      const manifest: S3Manifest = {
        version: 1,
        runId: ctx.runId,
        pipeline: ctx.pipeline,
        nodeId: ctx.nodeId,
        bucket: config.bucket,
        prefix: base,
        format: config.format,
        gzip: config.gzip,
        rows,
        schema: ctx.schema,
        objects,
        writtenAt: new Date().toISOString(),
      };
      try {
        await client.send(new PutObjectCommand({ Bucket: config.bucket, Key: manifestKey, Body: JSON.stringify(manifest, null, 2), ContentType: 'application/json' }));
      } catch (err) {
        throw fail(err, `writing the manifest ${where(manifestKey)}`);
      }
      // Only the manifest's address goes to the workflow: the object list can be long.
      return { bucket: config.bucket, prefix: base, objects: objects.length, manifest: where(manifestKey) };
    },

    async close() {
      client.destroy();
    },
  };
}
