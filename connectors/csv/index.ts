// The csv connector: CSV files in, CSV files out (plain or gzip, local to the worker).
import { type Connector, sink, source } from '../../src/kit/index.js';
import { checkReadable, checkWritable } from '../../src/kit/files/check.js';
import { read } from './read.js';
import { csvReadConfig, csvWriteConfig } from './schema.js';
import { open } from './write.js';

export const csv: Connector = {
  name: 'csv',
  description: 'CSV files on the worker: a file, a directory or a glob; plain or gzip',
  nodes: [
    source({
      verb: 'read',
      description: 'Streams the records of CSV files (a file, a directory or a glob, in name order) into a dataset; resumable mid-file.',
      config: csvReadConfig,
      read,
      check: async (config, ctx) => checkReadable(config.path, ctx.access),
    }),
    sink({
      verb: 'write',
      description: 'Writes an upstream dataset as CSV files into a directory, one file per part, ending with a _SUCCESS manifest.',
      config: csvWriteConfig,
      open,
      check: async (config, ctx) => checkWritable(config.path, ctx.access),
    }),
  ],
};
