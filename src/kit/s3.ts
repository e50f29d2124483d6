// S3 clients and S3 errors explained, shared by the S3 staging store and the s3 connector.
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from './errors.js';

export interface S3Settings {
  /** Endpoint of an S3-compatible server (MinIO, Ceph, a local test server); AWS when unset. */
  endpoint?: string;
  region?: string;
  /** Explicit credentials; the SDK's default chain (AWS_ACCESS_KEY_ID, profiles, roles) when unset. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style URLs (http://host/bucket/key); default: on when an endpoint is set. */
  forcePathStyle?: boolean;
  /** ms to establish a connection; default S3_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** ms a request may go without a byte moving either way before it fails (and the SDK retries it); default S3_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

/**
 * Default timeouts of every S3 request. The request timeout is one of inactivity, not of the
 * whole request, so a large part uploading slowly but steadily is not cut off.
 */
export const S3_CONNECT_TIMEOUT_MS = 10_000;
export const S3_REQUEST_TIMEOUT_MS = 60_000;

export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle ?? settings.endpoint !== undefined,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // Checksums only where S3 requires them: S3-compatible servers often reject or mangle the
    // newer default (streamed CRC trailers); TLS and ETags already protect the bytes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Without these, a connection to an endpoint that stopped answering waits forever.
    requestHandler: {
      connectionTimeout: settings.connectTimeoutMs ?? S3_CONNECT_TIMEOUT_MS,
      socketTimeout: settings.requestTimeoutMs ?? S3_REQUEST_TIMEOUT_MS,
    },
  });
}

/** Bucket and key of `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AllAccessDisabled', 'Forbidden']);

/** The S3 error code (or HTTP status) of an SDK error. */
export function s3ErrorCode(err: unknown): string {
  const e = err as SdkError;
  const code = e.Code ?? e.name ?? e.code ?? 'Error';
  // Responses without a body (HEAD requests) carry no code, only their status.
  if (code === 'Unknown' || code === 'UnknownError' || code === 'Error') {
    const status = e.$metadata?.httpStatusCode;
    if (status === 403) return 'Forbidden';
    if (status === 404) return 'NotFound';
    if (status === 301) return 'PermanentRedirect';
  }
  return code;
}

export function isNotFound(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === 'NoSuchKey' || code === 'NotFound';
}

/** Where a failing setting comes from, named in the errors (config paths or variable names). */
export interface S3Hints {
  credentials: string;
  bucket: string;
  endpoint: string;
}

/**
 * Turns an SDK error into one that says what failed and where to look: problems with
 * credentials, permissions, the bucket or the region are ConfigErrors (retrying cannot help);
 * anything else (network, throttling, 5xx) stays a plain, retryable Error. `request` says whether
 * the failing request addressed the bucket (HeadBucket) or an object.
 */
export function explainS3Error(err: unknown, what: string, bucket: string, hints: S3Hints, request: 'bucket' | 'object' = 'object'): Error {
  const code = s3ErrorCode(err);
  const message = (err as SdkError).message ?? String(err);
  if (DENIED.has(code)) {
    return new ConfigError(`${what}: access denied by S3 (${code}): check ${hints.credentials} and that they may use bucket "${bucket}"`);
  }
  // HEAD requests have no body: a 404 on the bucket itself is the only sign it is missing.
  if (code === 'NoSuchBucket' || (code === 'NotFound' && request === 'bucket')) {
    return new ConfigError(`${hints.bucket}: bucket "${bucket}" does not exist`);
  }
  if (code === 'InvalidBucketName') return new ConfigError(`${hints.bucket}: "${bucket}" is not a valid bucket name`);
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || /region/i.test(message)) {
    return new ConfigError(`${what}: ${message} (check the region${hints.endpoint ? ` and ${hints.endpoint}` : ''})`);
  }
  if (code === 'CredentialsProviderError') return new ConfigError(`${what}: no S3 credentials: set ${hints.credentials}`);
  const cause = (err as { cause?: { code?: string } }).cause;
  const net = (err as { code?: string }).code ?? cause?.code;
  if (net && /^(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN)$/.test(net)) {
    return new Error(`${what}: cannot reach the S3 endpoint (${net}${hints.endpoint ? `; check ${hints.endpoint}` : ''})`);
  }
  return new Error(`${what}: ${code}: ${message}`);
}
