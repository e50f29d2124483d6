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

export interface Store extends NodeStateStore {
  /** Adds a version unless the spec equals the latest one, which is then returned with created: false. */
  putPipeline(spec: PipelineSpec): Promise<PipelineVersion & { created: boolean }>;
  /** Every pipeline, by name. */
  listPipelines(): Promise<PipelineSummary[]>;
  /** A version (the latest when omitted) and the list of all version numbers; null if unknown. */
  getPipeline(name: string, version?: number): Promise<(PipelineVersion & { versions: number[] }) | null>;
  close(): Promise<void>;
}
