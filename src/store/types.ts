// What the metadata store holds and promises, independent of how it is stored.
import type { PipelineSpec } from '../dag/spec.js';
import type { RunStatus } from '../dag/vocabulary.js';
import type { LogStore } from './logs.js';

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

/** What became of a save of node states: stored, or refused because a run that started later saved first. */
export type SaveStatesOutcome = { saved: true } | { saved: false; newer: { runId: string; startedAt: Date } };

/** State that nodes save for the next run of their pipeline (incremental high-water marks). */
export interface NodeStateStore {
  /** The saved state of each node of `pipeline`, by node id; {} when none. */
  getNodeStates(pipeline: string): Promise<Record<string, unknown>>;
  /**
   * Replaces the saved state of each node in `states`, all together, unless a run that started
   * after `startedAt` saved the state of one of them: marks only move forward, whatever order runs
   * end in. `runId` is the run that saves; `startedAt` null (a run of older code) always saves.
   */
  saveNodeStates(pipeline: string, runId: string, states: Record<string, unknown>, startedAt?: Date | null): Promise<SaveStatesOutcome>;
}

export type SlotState = 'queued' | 'holding';

/** A run that holds or waits for one of its pipeline's concurrency slots. */
export interface SlotRow {
  runId: string;
  state: SlotState;
  /** Since it asked for a slot. */
  ageMs: number;
}

/** The answer to a start: a slot taken, a place in the queue, or (not queueing) the runs in the way. */
export type SlotClaim =
  | { kind: 'holding' }
  | { kind: 'queued'; ahead: number; holding: string[] }
  | { kind: 'refused'; holding: string[]; queued: number };

/** A waiting run's turn: granted (with the node states as they are now), or how many wait ahead of it. */
export type SlotPoll = { granted: true; states: Record<string, unknown> } | { granted: false; ahead: number; holding: string[] };

/** Concurrency slots of pipelines (`concurrency: { limit }`), shared by every API process and central worker. */
export interface RunSlotStore {
  /** A new run's slot: taken when fewer than `limit` runs hold or wait; else queued (`queue`) or refused. Atomic across processes. */
  claimSlot(pipeline: string, runId: string, limit: number, queue: boolean): Promise<SlotClaim>;
  /** Grants the run its slot when one is free and no run that asked earlier still waits; a run without a row joins the queue's end. */
  pollSlot(pipeline: string, runId: string, limit: number): Promise<SlotPoll>;
  /** Gives the run's slot (or place in the queue) up; false when it had none. */
  releaseSlot(runId: string): Promise<boolean>;
  /** The pipeline's rows whose runs were not checked in the last `everyMs`, now marked checked. */
  slotsToCheck(pipeline: string, everyMs: number): Promise<SlotRow[]>;
  /** Removes these runs' rows (their runs closed); returns how many there were. */
  dropSlots(runIds: readonly string[]): Promise<number>;
  /** The pipeline's rows, in queue order. */
  listSlots(pipeline: string): Promise<SlotRow[]>;
}

/** A run as the durable history keeps it. */
export interface RunRecord {
  runId: string;
  pipeline: string;
  version: number | null;
  status: RunStatus;
  open: boolean;
  scheduleId: string | null;
  scheduledAt: Date | null;
  params: Record<string, unknown>;
  startedAt: Date;
  endedAt: Date | null;
  error: string | null;
  summary: Record<string, unknown> | null;
  nodes: Record<string, unknown> | null;
}

/** One write of a run's record; `seq` orders the writes of one run (a lower one than stored is ignored). Absent fields keep what is stored. */
export interface RunRecordWrite {
  runId: string;
  pipeline: string;
  version?: number | null;
  status: RunStatus;
  open: boolean;
  scheduleId?: string | null;
  scheduledAt?: string | Date | null;
  params?: Record<string, unknown>;
  startedAt: string | Date;
  endedAt?: string | Date | null;
  error?: string | null;
  summary?: Record<string, unknown>;
  nodes?: Record<string, unknown>;
  seq: number;
}

export interface RunRecordFilter {
  pipeline?: string | undefined;
  /** Only these pipelines (a scoped key's). */
  within?: readonly string[] | undefined;
  schedule?: string | undefined;
  /** Runs recorded with this status, and every open run (whose status Temporal may have moved on: the caller checks). */
  status?: RunStatus | undefined;
  /** Started at or after `from`, before `to`. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** The page after this run (keyset: newest first). */
  after?: { startedAt: Date; runId: string } | undefined;
  limit: number;
}

/** The durable run history: every run, newest first, outliving Temporal's retention. */
export interface RunHistoryStore {
  /** Upserts the run's record unless a write with a higher seq got there first; true when written. */
  recordRun(write: RunRecordWrite): Promise<boolean>;
  listRunRecords(filter: RunRecordFilter): Promise<RunRecord[]>;
  getRunRecord(runId: string): Promise<RunRecord | null>;
  /** Runs by status: the open ones, and those that closed within the last `closedWithinMs`. */
  countRuns(closedWithinMs: number): Promise<{ status: RunStatus; open: boolean; runs: number }[]>;
  /** Marks an open record closed with what Temporal says (a run terminated or timed out never wrote its end). */
  closeRunRecord(runId: string, status: RunStatus, endedAt: Date | null, error: string | null): Promise<void>;
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
  /** A site key: it may only send the log lines of this site (`central`: of the central workers). */
  site?: string | null;
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
  /** A site key's site (its role is then viewer and its scope empty: it can read nothing). */
  site?: string | null;
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

export interface Store extends NodeStateStore, RunSlotStore, RunHistoryStore, KeyStore, AuditStore, IdempotencyStore, LogStore {
  /** Adds a version unless the spec equals the latest one, which is then returned with created: false. */
  putPipeline(spec: PipelineSpec): Promise<PipelineVersion & { created: boolean }>;
  /** Every pipeline, by name. */
  listPipelines(): Promise<PipelineSummary[]>;
  /** A version (the latest when omitted) and the list of all version numbers; null if unknown. */
  getPipeline(name: string, version?: number): Promise<(PipelineVersion & { versions: number[] }) | null>;
  close(): Promise<void>;
}
