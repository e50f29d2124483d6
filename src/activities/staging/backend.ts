// Where dataset files live. The engine sees only dataset URIs; a backend stores the bytes behind
// them. Two exist: a local directory (file://) and S3-compatible object storage (s3://).

/** A top-level run folder of a store (holding staging files only) and the time its newest file or object was written. */
export interface StoredRun {
  runId: string;
  newest: Date;
}

export interface StagingBackend {
  /** URI of the store's root, ending in `/`: `file:///var/sluice/staging/` or `s3://bucket/prefix/`. */
  readonly root: string;
  /** The URI of a folder under the root (no trailing slash for files, one for S3, as each is written). */
  folder(segments: readonly string[]): string;
  /** Stores `body` at `uri` so that readers see all of it or nothing. */
  put(uri: string, body: Buffer): Promise<void>;
  /** Copies the file at `from` (in this store) to `to` atomically, without passing its bytes through the worker where the store can; returns its size. */
  copy(from: string, to: string): Promise<number>;
  /** The bytes at `uri`, or null when there are none. */
  get(uri: string): Promise<Buffer | null>;
  /** Every run folder that holds nothing but staging files, with the age of its newest content (retention). */
  runs(): Promise<StoredRun[]>;
  /** Removes a run folder and everything under it. */
  removeRun(runId: string): Promise<void>;
  /** Releases connections. */
  close(): void;
}

/**
 * Names of the files a store writes (parts, older JSON-lines parts, seals, temp files of a
 * write in progress). Retention removes only run folders made of these alone, so a store root
 * pointed at a shared directory by mistake never loses anything else.
 */
export const STAGING_FILE = /^(part-\d{6,}\.(avro|pgcopy|jsonl)|_dataset\.json)(\.tmp-[\w-]+)?$/;

/** A run or node id used as a folder name: one non-empty path segment, nothing that climbs. */
export function checkSegment(segment: string): string {
  if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) {
    throw new Error(`invalid dataset path segment ${JSON.stringify(segment)}: run and node ids must not be empty, "." or "..", or contain / or \\`);
  }
  return segment;
}

/** `uri` with exactly one trailing slash, so a file name can be appended. */
export function asFolder(uri: string): string {
  return uri.endsWith('/') ? uri : `${uri}/`;
}
