// The load's manifest, `<prefix>/_manifest.json`: written last, after every object is verified,
// so a reader that finds a manifest can trust the objects it lists are the complete load.
import { partFileName, type ColumnSchema } from '../../src/kit/index.js';

export const MANIFEST_NAME = '_manifest.json';

export interface ManifestObject {
  key: string;
  rows: number;
  bytes: number;
}

export interface S3Manifest {
  version: 1;
  runId: string;
  pipeline: string;
  nodeId: string;
  bucket: string;
  prefix: string;
  format: 'jsonl' | 'csv';
  gzip: boolean;
  rows: number;
  schema: ColumnSchema[];
  objects: ManifestObject[];
  writtenAt: string;
}

/** Object names are fixed by part index, so a retried part overwrites its own object. */
export function objectName(index: number, ext: string): string {
  return partFileName(index, ext);
}

/** Part objects of any format that a load writes, to find those an earlier, larger load left. */
export const PART_OBJECT = /^part-\d{6,}\.(jsonl|csv)(\.gz)?$/;
