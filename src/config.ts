// Process configuration, read from the environment once and validated at start-up.
// Temporal's own variable names are used where they exist.
import { z } from 'zod';
import path from 'node:path';
import { payloadKeysSchema } from './codec/keys.js';
import { parseDuration } from './dag/duration.js';
import type { PgTimeouts } from './kit/postgres.js';

const portSchema = z.coerce.number().int().min(0).max(65535);
/** A duration variable (`500ms`, `10s`, `5m`), read as milliseconds; 0 is refused (a timeout of nothing). */
const durationVar = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration like 500ms, 10s or 5m')
  .transform((v) => parseDuration(v))
  .refine((ms) => ms > 0, 'must be longer than 0');

export const configSchema = z.object({
  /** host:port of the Temporal frontend. */
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** API key for Temporal Cloud or a server that requires one; implies TLS. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** mTLS client certificate and key paths, and an optional CA bundle path. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  /** Base task queue: workflows and central nodes poll it, site nodes poll `<base>-site-<site>`. */
  SLUICE_TASK_QUEUE: z.string().regex(/^[A-Za-z0-9._-]+$/).default('sluice'),
  /** Metadata database (pipelines and their versions). */
  DATABASE_URL: z.string().min(1).optional(),
  /** Metadata database: longest wait to connect, and longest statement (defaults in src/store/store.ts: 10s, 60s). */
  SLUICE_DB_CONNECT_TIMEOUT: durationVar.optional(),
  SLUICE_DB_STATEMENT_TIMEOUT: durationVar.optional(),
  /** S3 (staging store, s3:// datasets): longest wait to connect, and longest a request may go without any byte moving (defaults in src/kit/s3.ts: 10s, 60s). */
  SLUICE_S3_CONNECT_TIMEOUT: durationVar.optional(),
  SLUICE_S3_REQUEST_TIMEOUT: durationVar.optional(),
  /** HTTP port of the API. */
  PORT: portSchema.default(3000),
  /** The site policy file of a worker (the same as `sluice worker --policy`). */
  SLUICE_WORKER_POLICY: z.string().min(1).optional(),
  // A worker's Prometheus /metrics port (and the Temporal SDK's own metrics, folded into it, on the next one unless set).
  SLUICE_METRICS_PORT: portSchema.optional(),
  SLUICE_SDK_METRICS_PORT: portSchema.optional(),
  // Where the metrics port listens: this host only unless widened (metrics name pipelines, and need no key).
  SLUICE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where nodes may read and write files when no policy file says otherwise. */
  SLUICE_DATA_DIR: z.string().min(1).default('data'),
  /** Local staging directory where node datasets are written (per site). */
  SLUICE_STAGING_DIR: z.string().min(1).default(path.join('.sluice', 'staging')),
  /** Stage in S3-compatible storage instead (s3://bucket/prefix), shared by workers on several hosts. */
  SLUICE_STAGING_URL: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'expected s3://bucket or s3://bucket/prefix').optional(),
  /** How long a run's datasets are kept after their last write (12h, 7d); each worker sweeps its own store. */
  SLUICE_STAGING_RETENTION: z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration like 12h or 7d').default('7d'),
  /** S3 access for the staging store and s3:// datasets: endpoint of an S3-compatible server (AWS when unset). */
  SLUICE_S3_ENDPOINT: z.url().optional(),
  SLUICE_S3_REGION: z.string().min(1).optional(),
  /** Credentials; when unset, the AWS SDK's default chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  SLUICE_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  SLUICE_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style URLs (needed by most local S3 servers); default: true when SLUICE_S3_ENDPOINT is set. */
  SLUICE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  /** `off` lets every caller of the API act as admin: only for a trusted local network (logged loudly, shown on /healthz). */
  SLUICE_AUTH: z.enum(['on', 'off']).default('on'),
  /** OIDC: tokens from this issuer (discovery at <issuer>/.well-known/openid-configuration) for this audience. */
  SLUICE_OIDC_ISSUER: z.url().optional(),
  SLUICE_OIDC_AUDIENCE: z.string().min(1).optional(),
  /**
   * The console's single sign-on: the client id of a public client registered at the OIDC issuer
   * with redirect URI `<console address>/oidc/callback` (authorization code with PKCE). Unset: the
   * console signs in with API keys only.
   */
  SLUICE_OIDC_CLIENT_ID: z.string().min(1).max(200).optional(),
  /** Only for an issuer that insists the console's client is confidential; sent by the API, never to the browser. */
  SLUICE_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  SLUICE_OIDC_SCOPES: z.string().min(1).max(500).default('openid profile email'),
  /** Claim whose values (a list or a space/comma-separated string) name the caller's Sluice roles. */
  SLUICE_OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
  /** Browser origins allowed to call the API (comma-separated, e.g. https://console.acme.com); none by default. */
  SLUICE_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url({ error: 'expected origins like https://console.acme.com, comma-separated' }))),
  /** Payload encryption keys, `kid:base64key,...`: the first encrypts, all decrypt; unset: payloads are not encrypted. */
  SLUICE_PAYLOAD_KEYS: payloadKeysSchema,
  /** Temporal Web UI origins allowed to call the codec endpoint (/codec) from a browser, comma-separated. */
  SLUICE_CODEC_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url({ error: 'expected origins like https://temporal.acme.com, comma-separated' }))),
  /** The Temporal Web UI's address (e.g. https://temporal.acme.com): the console links each run there. Unset: no link. */
  SLUICE_TEMPORAL_UI_URL: z.url().optional(),
  /** API requests per minute per caller (key, OIDC subject, or address); 0: no limit. */
  SLUICE_RATE_LIMIT: z.coerce.number().int().min(0).default(1200),
  /** How long the API keeps node log lines (whole days: a day's partition goes once all of it is older). */
  SLUICE_LOG_RETENTION: durationVar.default(14 * 86_400_000),
  /** The API's base URL (e.g. https://sluice.acme.com): where a worker sends its nodes' log lines (unset: it keeps them), and what `sluice run`, `runs`, `logs`... talk to. */
  SLUICE_API_URL: z.url().optional(),
  /** The key the API commands of `sluice` (run, runs, logs, schedules...) send; never a site key. */
  SLUICE_API_KEY: z.string().min(1).optional(),
  /** The site key the worker sends them with (`sluice keys create --site NAME`). */
  SLUICE_LOG_KEY: z.string().regex(/^sk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/, 'expected a key made by `sluice keys create --site NAME`').optional(),
  /** The worker's buffer of unsent lines, and its bound in bytes (`64mb`, `512kb`): past it the oldest go, counted. */
  SLUICE_LOG_BUFFER_DIR: z.string().min(1).default(path.join('.sluice', 'log-buffer')),
  SLUICE_LOG_BUFFER_SIZE: z
    .string()
    .regex(/^\d+(b|kb|mb|gb)?$/i, 'expected a size like 64mb, 512kb or 1048576')
    .transform((v) => {
      const m = /^(\d+)(b|kb|mb|gb)?$/i.exec(v)!;
      return Number(m[1]) * ({ b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'] ?? 1);
    })
    .pipe(z.number().int().min(16 * 1024, 'must be at least 16kb'))
    .default(64 * 1024 ** 2),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Config = z.output<typeof configSchema>;

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Reads and validates the configuration; throws a ConfigurationError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigurationError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The metadata database's timeouts of a loaded configuration (SLUICE_DB_*); unset ones take the store's defaults. */
export function metadataDbTimeoutsOf(config: Pick<Config, 'SLUICE_DB_CONNECT_TIMEOUT' | 'SLUICE_DB_STATEMENT_TIMEOUT'>): PgTimeouts {
  return {
    ...(config.SLUICE_DB_CONNECT_TIMEOUT === undefined ? {} : { connectTimeoutMs: config.SLUICE_DB_CONNECT_TIMEOUT }),
    ...(config.SLUICE_DB_STATEMENT_TIMEOUT === undefined ? {} : { statementTimeoutMs: config.SLUICE_DB_STATEMENT_TIMEOUT }),
  };
}

/** The metadata database's timeouts set in `env`; throws a ConfigurationError naming a bad variable (never its value). */
export function metadataDbTimeouts(env: NodeJS.ProcessEnv): PgTimeouts {
  const parsed = configSchema.pick({ SLUICE_DB_CONNECT_TIMEOUT: true, SLUICE_DB_STATEMENT_TIMEOUT: true }).safeParse(env);
  if (!parsed.success) throw new ConfigurationError(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return metadataDbTimeoutsOf(parsed.data);
}

/** The task queue a node runs on: the base queue, or its site's queue. */
export function nodeTaskQueue(base: string, site: string | undefined): string {
  return site ? `${base}-site-${site}` : base;
}
