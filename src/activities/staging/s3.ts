// The S3 staging store: datasets under s3://bucket/prefix/<run>/<node>/, readable by every
// worker with access to the bucket, so nodes of one run may execute on different hosts.
// A PUT is atomic in S3 (an object appears whole or not at all), so parts need no temp names.
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { asFolder, checkSegment, STAGING_FILE, type StagingBackend, type StoredRun } from './backend.js';
import { explainS3Error, isNotFound, parseS3Uri, type S3Hints } from '../../kit/s3.js';

/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

export const STAGING_S3_HINTS: S3Hints = {
  credentials: 'SLUICE_S3_ACCESS_KEY_ID/SLUICE_S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)',
  bucket: 'SLUICE_STAGING_URL',
  endpoint: 'SLUICE_S3_ENDPOINT',
};

export class S3Backend implements StagingBackend {
  readonly root: string;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(root: string, private readonly client: S3Client) {
    this.root = asFolder(root);
    const { bucket, key } = parseS3Uri(this.root);
    this.bucket = bucket;
    this.prefix = key;
  }

  folder(segments: readonly string[]): string {
    return `${this.root}${segments.map(checkSegment).join('/')}/`;
  }

  async put(uri: string, body: Buffer): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    } catch (err) {
      throw explainS3Error(err, `writing ${uri}`, bucket, STAGING_S3_HINTS);
    }
  }

  async copy(from: string, to: string): Promise<number> {
    const src = parseS3Uri(from);
    const dst = parseS3Uri(to);
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: dst.bucket, Key: dst.key, CopySource: `${src.bucket}/${src.key.split('/').map(encodeURIComponent).join('/')}` }));
      const head = await this.client.send(new HeadObjectCommand({ Bucket: dst.bucket, Key: dst.key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      throw explainS3Error(err, `copying ${from} to ${to}`, dst.bucket, STAGING_S3_HINTS);
    }
  }

  async get(uri: string): Promise<Buffer | null> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return null;
      throw explainS3Error(err, `reading ${uri}`, bucket, STAGING_S3_HINTS);
    }
  }

  private async *objects(prefix: string): AsyncIterable<{ key: string; modified: Date }> {
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) if (o.Key) yield { key: o.Key, modified: o.LastModified ?? new Date(0) };
      }
    } catch (err) {
      throw explainS3Error(err, `listing s3://${this.bucket}/${prefix}`, this.bucket, STAGING_S3_HINTS);
    }
  }

  async runs(): Promise<StoredRun[]> {
    const newest = new Map<string, Date>();
    const foreign = new Set<string>();
    for await (const o of this.objects(this.prefix)) {
      const rest = o.key.slice(this.prefix.length);
      const slash = rest.indexOf('/');
      // Objects directly under the prefix belong to no run.
      if (slash <= 0) continue;
      const runId = rest.slice(0, slash);
      if (!STAGING_FILE.test(rest.slice(rest.lastIndexOf('/') + 1))) foreign.add(runId);
      const seen = newest.get(runId);
      if (!seen || o.modified > seen) newest.set(runId, o.modified);
    }
    return [...newest].filter(([runId]) => !foreign.has(runId)).map(([runId, at]) => ({ runId, newest: at }));
  }

  async removeRun(runId: string): Promise<void> {
    const keys: string[] = [];
    for await (const o of this.objects(`${this.prefix}${checkSegment(runId)}/`)) keys.push(o.key);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      try {
        const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        const failed = res.Errors ?? [];
        if (failed.length > 0) throw new Error(`${failed.length} object(s) not deleted, first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`);
      } catch (err) {
        throw explainS3Error(err, `removing run ${runId} from ${this.root}`, this.bucket, STAGING_S3_HINTS);
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}
