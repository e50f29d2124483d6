// The staging store: a node's record output is a dataset of numbered parts under
// <store root>/<runId>/<nodeId>/: Avro, or PostgreSQL COPY text for what a Postgres source read
// and what transforms make of it (src/kit/copy-text.ts). Parts live in a local directory (file://)
// or S3-compatible object storage (s3://). Only its reference (uri, counts, schema, format) leaves
// the worker. Each part is written atomically, so it is complete or absent and a retried batch
// simply rewrites it. Why these formats, and how values are kept exact: docs/datasets.md.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ConfigError } from '../kit/errors.js';
import { partFileName, type ColumnSchema, type DatasetRef, type PartFormat, type Row } from '../kit/dataset.js';
import { decodePart, encodePart } from './staging/avro-part.js';
import { decodeCopyText } from '../kit/copy-text.js';
import { asFolder, type StagingBackend, type StoredRun } from './staging/backend.js';
import { LocalBackend } from './staging/local.js';
import { S3Backend } from './staging/s3.js';
import { createS3Client, type S3Settings } from '../kit/s3.js';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** Staging part `index` in `format`: `part-000042.avro`. */
export function partName(index: number, format: PartFormat = 'avro'): string {
  return partFileName(index, format);
}

/** Name of the file that seals a dataset (its reference, written last). */
export const SEAL_NAME = '_dataset.json';

export interface StagingOptions {
  /** How this worker reaches S3 for s3:// datasets when its own store is local. */
  s3?: S3Settings;
  /** Who this worker is, for errors (`the central worker`, `the worker of site acme`). */
  label?: string;
}

export class StagingStore {
  readonly home: StagingBackend;
  private s3Reader: StagingBackend | null = null;

  /** `home` is where this worker writes: a backend, or a local directory path. */
  constructor(
    home: StagingBackend | string,
    private readonly options: StagingOptions = {},
  ) {
    this.home = typeof home === 'string' ? new LocalBackend(home) : home;
  }

  /** URI of this store's root (`file:///...` or `s3://bucket/prefix/`). */
  get root(): string {
    return this.home.root;
  }

  /** Location (URI) of a node's dataset in this store; `sub` names a folder inside it (`_rejected`). */
  datasetDir(runId: string, nodeId: string, ...sub: string[]): string {
    return this.home.folder([runId, nodeId, ...sub]);
  }

  /** Writes part `index` of the dataset at `location` atomically; returns its size in bytes. */
  async writePart(location: string, index: number, rows: readonly Row[], schema: readonly ColumnSchema[]): Promise<number> {
    const body = await encodePart(rows, schema, `part ${index}`);
    await this.home.put(asFolder(location) + partName(index), body);
    return body.length;
  }

  /** Writes part `index`, already encoded in `format`, atomically; returns its size in bytes. */
  async writeEncodedPart(location: string, index: number, format: PartFormat, body: Buffer): Promise<number> {
    // COPY text is plain text: gzipped (fast level) where bytes cross a network, as they do to S3.
    const stored = format === 'pgcopy' && this.home instanceof S3Backend ? await gzip(body, { level: 1 }) : body;
    await this.home.put(asFolder(location) + partName(index, format), stored);
    return stored.length;
  }

  /** Copies part `index` of `ref` unchanged into the dataset at `location`; returns its size in bytes. */
  async copyPart(ref: DatasetRef, index: number, location: string): Promise<number> {
    const from = asFolder(ref.uri) + partName(index, ref.format);
    const to = asFolder(location) + partName(index, ref.format);
    if (this.backendFor(ref.uri) === this.home) return this.home.copy(from, to);
    return this.writeEncodedPart(location, index, ref.format ?? 'avro', await this.readEncodedPart(ref, index));
  }

  /** Part `index` of a dataset, still encoded in the dataset's format (a gzipped COPY text part unzipped). */
  async readEncodedPart(ref: DatasetRef, index: number): Promise<Buffer> {
    return this.fetch(ref.uri, index, ref.format ?? 'avro');
  }

  private async fetch(location: string, index: number, format: PartFormat): Promise<Buffer> {
    const uri = asFolder(location) + partName(index, format);
    const body = await this.backendFor(location).get(uri);
    if (body === null) throw missingPart(index, uri);
    // The gzip magic bytes cannot begin UTF-8 text (0x8b only continues a character).
    return format === 'pgcopy' && body[0] === 0x1f && body[1] === 0x8b ? gunzip(body) : body;
  }

  /** Finalises a dataset: records its reference next to the parts and returns it. */
  async seal(location: string, ref: Omit<DatasetRef, 'uri'>): Promise<DatasetRef> {
    const full: DatasetRef = { uri: location, ...ref };
    await this.home.put(asFolder(location) + SEAL_NAME, Buffer.from(JSON.stringify(full, null, 2)));
    return full;
  }

  /** The reference a sealed dataset at `location` recorded, or null when it has none (not sealed, or removed). */
  async readSeal(location: string): Promise<DatasetRef | null> {
    const body = await this.backendFor(location).get(asFolder(location) + SEAL_NAME);
    return body === null ? null : (JSON.parse(body.toString('utf8')) as DatasetRef);
  }

  /** Part `index` of the dataset at `location`, or null when that part does not exist (yet, or any more). */
  async readPartIfAny(location: string, index: number, format: PartFormat = 'avro', schema: ColumnSchema[] = []): Promise<Row[] | null> {
    const uri = asFolder(location) + partName(index, format);
    const body = await this.backendFor(location).get(uri);
    if (body === null) return null;
    const plain = format === 'pgcopy' && body[0] === 0x1f && body[1] === 0x8b ? await gunzip(body) : body;
    return format === 'pgcopy' ? decodeCopyText(plain, schema, uri) : decodePart(plain, uri);
  }

  /** Reads part `index` of a dataset, from the store its URI names. */
  async readPart(ref: DatasetRef, index: number): Promise<Row[]> {
    return this.readPartAt(ref.uri, index, ref.format, ref.schema);
  }

  /** Reads part `index` of the dataset at `location` (e.g. a resumed node's own output), stored in `format`. */
  async readPartAt(location: string, index: number, format: PartFormat = 'avro', schema: ColumnSchema[] = []): Promise<Row[]> {
    const uri = asFolder(location) + partName(index, format);
    const body = await this.fetch(location, index, format);
    return format === 'pgcopy' ? decodeCopyText(body, schema, uri) : decodePart(body, uri);
  }

  /** Every run folder of this worker's own store, with the time of its newest file. */
  runs(): Promise<StoredRun[]> {
    return this.home.runs();
  }

  /** Removes every dataset of a run from this worker's own store. */
  removeRun(runId: string): Promise<void> {
    return this.home.removeRun(runId);
  }

  close(): void {
    this.home.close();
    this.s3Reader?.close();
  }

  /** The backend that can read `uri`, or a ConfigError saying why this worker cannot. */
  private backendFor(uri: string): StagingBackend {
    const me = this.options.label ?? 'this worker';
    if (uri.startsWith('s3://')) {
      if (this.home instanceof S3Backend) return this.home;
      this.s3Reader ??= new S3Backend('s3://reader/', createS3Client(this.options.s3 ?? {}));
      return this.s3Reader;
    }
    if (uri.startsWith('file:')) {
      if (this.home instanceof LocalBackend && this.home.pathOf(uri) !== null) return this.home;
      throw new ConfigError(
        `dataset ${uri} is in the local staging store of the worker that produced it, which ${me} cannot read (its store is ${this.home.root}): ` +
          `a local store is private to its host and site, so run this node on the same site as its input, or give the workers a shared s3:// store (SLUICE_STAGING_URL)`,
      );
    }
    throw new ConfigError(`dataset ${uri}: unsupported URI scheme (expected file:// or s3://)`);
  }
}

function missingPart(index: number, uri: string): Error {
  return new Error(`dataset part ${index} is missing at ${uri}: it was removed (staging retention) or never completely written`);
}
