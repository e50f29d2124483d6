// The jsonl connector: JSON-lines files in, JSON-lines files out (plain or gzip, local to the worker).
import { type Connector, sink, source } from '../../src/kit/index.js';
import { checkReadable, checkWritable } from '../../src/kit/files/check.js';
import { read } from './read.js';
import { jsonlReadConfig, jsonlWriteConfig } from './schema.js';
import { open } from './write.js';

export const jsonl: Connector = {
  name: 'jsonl',
  description: 'JSON-lines files on the worker: a file, a directory or a glob; plain or gzip',
  nodes: [
    source({
      verb: 'read',
      description: 'Streams JSON-lines files (one object per line; a file, a directory or a glob, in name order) into a dataset; resumable mid-file.',
      config: jsonlReadConfig,
      read,
      check: async (config, ctx) => checkReadable(config.path, ctx.access),
    }),
    sink({
      verb: 'write',
      description: 'Writes an upstream dataset as JSON-lines files into a directory, one file per part, ending with a _SUCCESS manifest.',
      config: jsonlWriteConfig,
      open,
      check: async (config, ctx) => checkWritable(config.path, ctx.access),
    }),
  ],
};
