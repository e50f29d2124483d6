// `check` of the file connectors: fast, side-effect free answers to "can this node run here?".
import fs from 'node:fs';
import path from 'node:path';
import type { Access } from '../access.js';
import { ConfigError } from '../errors.js';
import { fsCode, fsReason } from './fs-errors.js';
import { listFiles } from './list.js';

/** config.path names at least one file, and each one can be read. */
export async function checkReadable(configured: string, access: Access): Promise<void> {
  for (const file of await listFiles(configured, access)) {
    try {
      await fs.promises.access(file.path, fs.constants.R_OK);
    } catch (err) {
      throw new ConfigError(`config.path: cannot read ${file.path}: ${fsReason(err)}`);
    }
  }
}

/** config.path is a writable directory, or could be created as one (nothing is created here). */
export async function checkWritable(configured: string, access: Access): Promise<void> {
  await access.writePath(configured, 'config.path');
  let dir = path.resolve(configured);
  for (;;) {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(dir);
    } catch (err) {
      const parent = path.dirname(dir);
      // ENOTDIR: a file stands where a directory should; walk up to name it.
      if ((fsCode(err) === 'ENOENT' || fsCode(err) === 'ENOTDIR') && parent !== dir) {
        dir = parent;
        continue;
      }
      throw new ConfigError(`config.path: cannot use ${configured}: ${fsReason(err)}`);
    }
    const missing = dir === path.resolve(configured) ? '' : ` (${configured} does not exist and would be created under it)`;
    if (!st.isDirectory()) throw new ConfigError(`config.path: ${dir} is not a directory${missing}`);
    try {
      await fs.promises.access(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (err) {
      throw new ConfigError(`config.path: directory ${dir} is not writable: ${fsReason(err)}${missing}`);
    }
    return;
  }
}
