// Resolves a source's config.path to the files it names, in the order they are read: one file;
// every data file of a directory; or a glob in the last part of the path (`/in/orders-*.csv.gz`).
// Files are read in name order (plain code-point order), and the name recorded in cursors and
// bad-record positions is the file's name inside that directory.
import fs from 'node:fs';
import path from 'node:path';
import type { Access } from '../access.js';
import { ConfigError } from '../errors.js';
import { fsReason } from './fs-errors.js';

export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** The file's name inside the directory or glob base: what cursors and positions name. */
  name: string;
}

const WILDCARD = /[*?]/;

/** True for names a directory listing skips: hidden files, temp files, `_SUCCESS` and other markers. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

async function statOrFail(p: string, configured: string): Promise<fs.Stats> {
  try {
    return await fs.promises.stat(p);
  } catch (err) {
    throw new ConfigError(`config.path: ${configured}: ${fsReason(err)}`);
  }
}

/** Regular files among `names` in `dir`, sorted by name. */
async function regularFiles(dir: string, names: string[], configured: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const name of names.sort()) {
    const full = path.join(dir, name);
    if ((await statOrFail(full, configured)).isFile()) files.push({ path: full, name });
  }
  return files;
}

async function readDir(dir: string, configured: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch (err) {
    throw new ConfigError(`config.path: cannot list directory ${dir} (for ${configured}): ${fsReason(err)}`);
  }
}

/**
 * The files `configured` names, in reading order, each at its real path and each allowed by the
 * site's policy (so a symlink inside a root cannot lead out of it); a ConfigError naming
 * config.path when there are none.
 */
export async function listFiles(configured: string, access: Access): Promise<SourceFile[]> {
  const found = await findFiles(configured, access);
  const allowed: SourceFile[] = [];
  for (const f of found) allowed.push({ path: await access.readPath(f.path, 'config.path'), name: f.name });
  return allowed;
}

async function findFiles(configured: string, access: Access): Promise<SourceFile[]> {
  const abs = path.resolve(configured);
  // Nothing outside the roots is even listed: the place named must be allowed before it is looked at.
  await access.readPath(WILDCARD.test(path.basename(abs)) ? path.dirname(abs) : abs, 'config.path');
  const base = path.basename(abs);
  if (WILDCARD.test(base)) {
    const dir = path.dirname(abs);
    if (WILDCARD.test(dir)) throw new ConfigError(`config.path: wildcards (* ?) are allowed only in the file name, not in directories: ${configured}`);
    const pattern = globToRegExp(base);
    // As in a shell, * does not match a leading dot, so temp files of a writer are never read.
    const names = (await readDir(dir, configured)).filter((n) => pattern.test(n) && (!n.startsWith('.') || base.startsWith('.')));
    const files = await regularFiles(dir, names, configured);
    if (files.length === 0) throw new ConfigError(`config.path: no file matches ${configured}`);
    return files;
  }
  const st = await statOrFail(abs, configured);
  if (st.isFile()) return [{ path: abs, name: base }];
  if (!st.isDirectory()) throw new ConfigError(`config.path: ${configured} is neither a file nor a directory`);
  const files = await regularFiles(abs, (await readDir(abs, configured)).filter((n) => !isHiddenName(n)), configured);
  if (files.length === 0) throw new ConfigError(`config.path: directory ${configured} holds no data files (names starting with . or _ are skipped)`);
  return files;
}
