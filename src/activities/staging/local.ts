// The local staging store: a directory on this worker's disk. Files are written to a temporary
// name and renamed, so a part is complete or absent even if the worker dies mid-write.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkSegment, STAGING_FILE, type StagingBackend, type StoredRun } from './backend.js';

export class LocalBackend implements StagingBackend {
  readonly dir: string;
  readonly root: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.root = `${pathToFileURL(this.dir).href.replace(/\/$/, '')}/`;
  }

  folder(segments: readonly string[]): string {
    return pathToFileURL(path.join(this.dir, ...segments.map(checkSegment))).href;
  }

  /** The path behind a file URI when it lies inside this store, else null. */
  pathOf(uri: string): string | null {
    if (!uri.startsWith('file:')) return null;
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch {
      return null;
    }
    const rel = path.relative(this.dir, file);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)) ? file : null;
  }

  private require(uri: string): string {
    const file = this.pathOf(uri);
    if (file === null) throw new Error(`${uri} is not inside the local staging store ${this.root}`);
    return file;
  }

  async put(uri: string, body: Buffer): Promise<void> {
    const file = this.require(uri);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await fs.promises.writeFile(tmp, body);
      await fs.promises.rename(tmp, file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
  }

  async copy(from: string, to: string): Promise<number> {
    const src = this.require(from);
    const file = this.require(to);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      // A hard link shares the bytes (the source is never rewritten, only replaced or removed); a copy where links are refused.
      await fs.promises.link(src, tmp).catch(() => fs.promises.copyFile(src, tmp));
      await fs.promises.rename(tmp, file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`cannot copy ${from}: it does not exist`);
      throw err;
    }
    return (await fs.promises.stat(file)).size;
  }

  async get(uri: string): Promise<Buffer | null> {
    try {
      return await fs.promises.readFile(this.require(uri));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async runs(): Promise<StoredRun[]> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const runs: StoredRun[] = [];
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const found = await scan(path.join(this.dir, e.name));
      if (found !== null && found.onlyStaging) runs.push({ runId: e.name, newest: found.newest });
    }
    return runs;
  }

  async removeRun(runId: string): Promise<void> {
    await fs.promises.rm(path.join(this.dir, checkSegment(runId)), { recursive: true, force: true });
  }

  close(): void {}
}

/** The latest modification time of a folder or anything under it, and whether all its files are staging files (null if it vanished meanwhile). */
async function scan(p: string): Promise<{ newest: Date; onlyStaging: boolean } | null> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(p);
  } catch {
    return null;
  }
  if (!stat.isDirectory()) return { newest: stat.mtime, onlyStaging: STAGING_FILE.test(path.basename(p)) };
  let newest = stat.mtime;
  let onlyStaging = true;
  let names: string[] = [];
  try {
    names = await fs.promises.readdir(p);
  } catch {
    return { newest, onlyStaging };
  }
  for (const name of names) {
    const found = await scan(path.join(p, name));
    if (found === null) continue;
    if (found.newest > newest) newest = found.newest;
    onlyStaging &&= found.onlyStaging;
  }
  return { newest, onlyStaging };
}
