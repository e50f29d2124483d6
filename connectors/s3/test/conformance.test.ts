// s3.write through the connector conformance suite (test/conformance), against s3rver (a real S3
// server on 127.0.0.1): gzipped JSON-lines objects read back with the S3 client, gunzip and
// JSON.parse, and broken configs (missing bucket, wrong access key id, unreachable endpoint).
import zlib from 'node:zlib';
import type { Row } from '../../../src/kit/index.js';
import { conformance } from '../../../test/conformance/index.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3 } from '../../../test/helpers/s3.js';
import { s3 } from '../index.js';

conformance(s3, async () => {
  const server = await startS3();
  const bucket = await server.bucket(uniqueName('conformance'));
  const credentials = { accessKeyId: { $secret: 'S3_CONFORMANCE_KEY_ID' }, secretAccessKey: { $secret: 'S3_CONFORMANCE_SECRET' } };
  const config = (prefix: string) => ({ bucket, prefix, endpoint: server.endpoint, credentials, gzip: true });

  return {
    secrets: { S3_CONFORMANCE_KEY_ID: S3_ACCESS_KEY_ID, S3_CONFORMANCE_SECRET: S3_SECRET_ACCESS_KEY, S3_CONFORMANCE_WRONG_KEY_ID: 'WRONGKEY0D9C8B7A' },
    nodes: {
      write: {
        kind: 'sink',
        config,
        async readBack(dest) {
          const keys = await server.keys(bucket, `${dest}/`);
          if (!keys.includes(`${dest}/_manifest.json`)) throw new Error(`s3://${bucket}/${dest}/ has no _manifest.json: the load never finished`);
          const rows: Row[] = [];
          for (const key of keys.filter((k) => /\/part-\d+\.jsonl\.gz$/.test(k))) {
            const text = zlib.gunzipSync(await server.get(bucket, key)).toString('utf8');
            for (const line of text.split('\n')) if (line !== '') rows.push(JSON.parse(line) as Row);
          }
          return rows;
        },
        broken: [
          { why: 'a missing bucket', config: { ...config('x'), bucket: 'no-such-bucket-conformance' }, names: 'config.bucket' },
          // s3rver checks the access key id but not SigV4 signatures, so the wrong credential is the key id.
          { why: 'a wrong access key id', config: { ...config('x'), credentials: { ...credentials, accessKeyId: { $secret: 'S3_CONFORMANCE_WRONG_KEY_ID' } } }, names: 'config.credentials' },
          { why: 'an unreachable endpoint', config: { ...config('x'), endpoint: 'http://127.0.0.1:1' }, names: 'config.endpoint' },
        ],
        invalid: [
          { config: { bucket: 'Not_A_Bucket' }, path: 'config.bucket' },
          { config: { bucket, prefix: 'a/../b' }, path: 'config.prefix' },
          { config: { bucket, partSizeMb: 1 }, path: 'config.partSizeMb' },
        ],
      },
    },
    close: () => server.stop(),
  };
});
