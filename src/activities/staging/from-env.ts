// Builds a worker's staging store from its environment (the SLUICE_STAGING_* and SLUICE_S3_*
// variables of src/config.ts), so the CLI, `sluice dev` and tests configure it the same way.
import { configSchema, ConfigurationError } from '../../config.js';
import { parseDuration } from '../../dag/duration.js';
import { StagingStore } from '../staging.js';
import { S3Backend } from './s3.js';
import { createS3Client, type S3Settings } from '../../kit/s3.js';

const stagingVars = configSchema.pick({
  SLUICE_STAGING_URL: true,
  SLUICE_STAGING_RETENTION: true,
  SLUICE_S3_ENDPOINT: true,
  SLUICE_S3_REGION: true,
  SLUICE_S3_ACCESS_KEY_ID: true,
  SLUICE_S3_SECRET_ACCESS_KEY: true,
  SLUICE_S3_FORCE_PATH_STYLE: true,
  SLUICE_S3_CONNECT_TIMEOUT: true,
  SLUICE_S3_REQUEST_TIMEOUT: true,
});

export interface StagingSettings {
  /** s3://bucket/prefix when staging in S3; local directory otherwise. */
  url?: string;
  retentionMs: number;
  s3: S3Settings;
}

/** Reads the staging settings; throws a ConfigurationError naming each bad variable (never its value). */
export function stagingSettings(env: NodeJS.ProcessEnv): StagingSettings {
  const parsed = stagingVars.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`invalid staging configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const v = parsed.data;
  if ((v.SLUICE_S3_ACCESS_KEY_ID === undefined) !== (v.SLUICE_S3_SECRET_ACCESS_KEY === undefined)) {
    throw new ConfigurationError('invalid staging configuration: set both SLUICE_S3_ACCESS_KEY_ID and SLUICE_S3_SECRET_ACCESS_KEY, or neither');
  }
  const s3: S3Settings = {
    ...(v.SLUICE_S3_ENDPOINT ? { endpoint: v.SLUICE_S3_ENDPOINT } : {}),
    ...(v.SLUICE_S3_REGION ? { region: v.SLUICE_S3_REGION } : {}),
    ...(v.SLUICE_S3_ACCESS_KEY_ID && v.SLUICE_S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: v.SLUICE_S3_ACCESS_KEY_ID, secretAccessKey: v.SLUICE_S3_SECRET_ACCESS_KEY } }
      : {}),
    ...(v.SLUICE_S3_FORCE_PATH_STYLE ? { forcePathStyle: v.SLUICE_S3_FORCE_PATH_STYLE === 'true' } : {}),
    ...(v.SLUICE_S3_CONNECT_TIMEOUT === undefined ? {} : { connectTimeoutMs: v.SLUICE_S3_CONNECT_TIMEOUT }),
    ...(v.SLUICE_S3_REQUEST_TIMEOUT === undefined ? {} : { requestTimeoutMs: v.SLUICE_S3_REQUEST_TIMEOUT }),
  };
  return { ...(v.SLUICE_STAGING_URL ? { url: v.SLUICE_STAGING_URL } : {}), retentionMs: parseDuration(v.SLUICE_STAGING_RETENTION), s3 };
}

/** The store a worker writes to: S3 when `settings.url` is set, else the local `stagingDir`. */
export function createStagingStore(stagingDir: string, settings: StagingSettings, label?: string): StagingStore {
  const options = { s3: settings.s3, ...(label ? { label } : {}) };
  if (settings.url) return new StagingStore(new S3Backend(settings.url, createS3Client(settings.s3)), options);
  return new StagingStore(stagingDir, options);
}
