// What the metadata store holds and promises, independent of how it is stored.
import type { PipelineSpec } from '../dag/spec.js';

export interface PipelineVersion {
  name: string;
  version: number;
  spec: PipelineSpec;
  /** sha256 of the spec's canonical JSON: equal specs, equal hashes. */
  specHash: string;
  createdAt: Date;
}

export interface PipelineSummary {
  name: string;
  latestVersion: number;
  description: string | null;
  updatedAt: Date;
}

/** State that nodes save for the next run of their pipeline (incremental high-water marks). */
export interface NodeStateStore {
  /** The saved state of each node of `pipeline`, by node id; {} when none. */
  getNodeStates(pipeline: string): Promise<Record<string, unknown>>;
  /** Replaces the saved state of each node in `states`, all in one statement; `runId` is the run that saved it. */
  saveNodeStates(pipeline: string, runId: string, states: Record<string, unknown>): Promise<void>;
}

/** The roles of API callers, weakest first: each may do what the ones before it may. */
export const ROLES = ['viewer', 'operator', 'author', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKeyRecord {
  /** The public part of the key, `sk_<id>_<secret>`. */
  id: string;
  name: string;
  role: Role;
  /** Pipeline-name globs the key is limited to; null: every pipeline. */
  pipelines: string[] | null;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NewApiKey {
  id: string;
  name: string;
  role: Role;
  pipelines: string[] | null;
  /** Hash of the secret part (never the key). */
  hash: string;
  createdBy: string;
  expiresAt: Date | null;
}

export interface KeyStore {
  insertKey(key: NewApiKey): Promise<ApiKeyRecord>;
  /** The key's record with its hash, or null. */
  getKey(id: string): Promise<(ApiKeyRecord & { hash: string }) | null>;
  /** Every key, newest first, revoked and expired ones included. */
  listKeys(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked (idempotent); null if there is no such key. */
  revokeKey(id: string): Promise<ApiKeyRecord | null>;
  /** Records that the key was used (at most once a minute). */
  touchKey(id: string): Promise<void>;
  /** Keys neither revoked nor expired. */
  countUsableKeys(): Promise<number>;
}

/** One audit row: who did (or was refused) what, on what, with which outcome. */
export interface AuditEntry {
  actorId: string | null;
  actorName: string | null;
  role: string | null;
  action: string;
  target: string | null;
  status: number;
  requestId: string;
  remote: string | null;
}

export interface StoredAuditEntry extends AuditEntry {
  /** Increasing; also the page cursor. */
  id: string;
  at: Date;
}

export interface AuditFilter {
  /** Key id, key name or OIDC subject. */
  actor?: string | undefined;
  action?: string | undefined;
  since?: Date | undefined;
  /** Entries older than this id (the previous page's cursor). */
  before?: string | undefined;
  limit: number;
}

export interface AuditStore {
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first; `next` is the cursor of the following page, null on the last. */
  listAudit(filter: AuditFilter): Promise<{ entries: StoredAuditEntry[]; next: string | null }>;
}

/** A stored answer to replay: status, the headers that matter (Location) and the JSON body. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' }
  | { kind: 'answered'; answer: StoredAnswer };

export interface IdempotencyStore {
  /** Claims `key` for this request, or says why not: in progress, used for another request, or already answered. */
  claimIdempotency(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
  saveIdempotentAnswer(scope: string, key: string, answer: StoredAnswer): Promise<void>;
  /** Gives a claimed key back (the request failed on our side), so a retry can go ahead. */
  releaseIdempotency(scope: string, key: string): Promise<void>;
  /** Removes answers older than the window; returns how many. */
  purgeIdempotency(): Promise<number>;
}

export interface Store extends NodeStateStore, KeyStore, AuditStore, IdempotencyStore {
  /** Adds a version unless the spec equals the latest one, which is then returned with created: false. */
  putPipeline(spec: PipelineSpec): Promise<PipelineVersion & { created: boolean }>;
  /** Every pipeline, by name. */
  listPipelines(): Promise<PipelineSummary[]>;
  /** A version (the latest when omitted) and the list of all version numbers; null if unknown. */
  getPipeline(name: string, version?: number): Promise<(PipelineVersion & { versions: number[] }) | null>;
  close(): Promise<void>;
}
