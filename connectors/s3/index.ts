// The s3 connector: loads datasets into S3-compatible object storage as JSON lines or CSV objects
// with a manifest, the "catalog" destination other tools read from.
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { type Connector, type ConnectorContext, explainS3Error, sink } from '../../src/kit/index.js';
import { s3WriteConfig, type S3WriteConfig } from './schema.js';
import { open, s3Client } from './write.js';

/** HeadBucket: the cheapest request that proves the bucket exists and the credentials may use it. */
async function checkBucket(config: S3WriteConfig, ctx: ConnectorContext): Promise<void> {
  const client = await s3Client(config, ctx.access);
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
  } catch (err) {
    throw explainS3Error(err, `checking bucket "${config.bucket}"`, config.bucket, { credentials: 'config.credentials', bucket: 'config.bucket', endpoint: 'config.endpoint' }, 'bucket');
  } finally {
    client.destroy();
  }
}

export const s3: Connector = {
  name: 's3',
  description: 'S3 and S3-compatible object storage',
  nodes: [
    sink({
      verb: 'write',
      description: 'Writes an upstream dataset as JSON-lines or CSV objects (optionally gzipped) under a prefix, one per part, then a _manifest.json.',
      config: s3WriteConfig,
      open,
      check: async (config, ctx) => checkBucket(config, ctx),
    }),
  ],
};
