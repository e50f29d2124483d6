// The local staging store: a node's record output is a dataset of numbered part files under
// <stagingDir>/<runId>/<nodeId>/. Only its reference (uri, counts, schema) leaves the worker.
// Parts are JSON lines for now; each part is written to a temp file and renamed, so a part is
// either complete or absent and a retried batch simply rewrites it.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type Row = Record<string, unknown>;

export interface ColumnSchema {
  name: string;
  /** Logical type: text, int, bigint, float, numeric, boolean, timestamp, date, json. */
  type: string;
}

/** What a node outputs for its records: a handle, never the rows themselves. */
export interface DatasetRef {
  uri: string;
  rows: number;
  bytes: number;
  parts: number;
  schema: ColumnSchema[];
}

export function isDatasetRef(v: unknown): v is DatasetRef {
  return typeof v === 'object' && v !== null && typeof (v as DatasetRef).uri === 'string' && typeof (v as DatasetRef).parts === 'number';
}

function partName(index: number): string {
  return `part-${String(index).padStart(6, '0')}.jsonl`;
}

export class StagingStore {
  constructor(readonly root: string) {}

  /** Directory of a node's dataset in this store. */
  datasetDir(runId: string, nodeId: string): string {
    return path.resolve(this.root, runId, nodeId);
  }

  /** Writes one part atomically; returns its size in bytes. */
  async writePart(dir: string, index: number, rows: readonly Row[], _schema?: readonly ColumnSchema[]): Promise<number> {
    await fs.promises.mkdir(dir, { recursive: true });
    const body = rows.length === 0 ? '' : rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const target = path.join(dir, partName(index));
    const tmp = `${target}.tmp-${process.pid}`;
    await fs.promises.writeFile(tmp, body);
    await fs.promises.rename(tmp, target);
    return Buffer.byteLength(body);
  }

  /** Finalises a dataset: records its manifest next to the parts and returns the reference. */
  async seal(dir: string, ref: Omit<DatasetRef, 'uri'>): Promise<DatasetRef> {
    const full: DatasetRef = { uri: pathToFileURL(dir).href, ...ref };
    await fs.promises.writeFile(path.join(dir, '_dataset.json'), JSON.stringify(full, null, 2));
    return full;
  }

  /** Reads part `index` of a dataset produced in this store. */
  async readPart(ref: DatasetRef, index: number): Promise<Row[]> {
    return this.readPartAt(datasetPath(ref), index);
  }

  /** Reads part `index` of the dataset being written in `dir` (a resumed node's own output). */
  async readPartAt(dir: string, index: number): Promise<Row[]> {
    const file = path.join(dir, partName(index));
    if (!fs.existsSync(file)) {
      throw new Error(`dataset part ${index} is missing at ${file}: the dataset was produced on another host or cleaned up`);
    }
    const rows: Row[] = [];
    const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) if (line) rows.push(JSON.parse(line) as Row);
    return rows;
  }

  /** Removes every dataset of a run. */
  async removeRun(runId: string): Promise<void> {
    await fs.promises.rm(path.resolve(this.root, runId), { recursive: true, force: true });
  }
}

export function datasetPath(ref: DatasetRef): string {
  if (!ref.uri.startsWith('file:')) throw new Error(`unsupported dataset uri ${ref.uri}: this worker has only a local staging store`);
  return fileURLToPath(ref.uri);
}
