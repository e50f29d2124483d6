// The http connector: records from JSON APIs.
import { type Connector, source } from '../../src/kit/index.js';
import { check } from './check.js';
import { read } from './read.js';
import { httpReadConfig } from './schema.js';

export const http: Connector = {
  name: 'http',
  description: 'JSON APIs over HTTP(S)',
  nodes: [
    source({
      verb: 'read',
      description: 'Reads records from a JSON API, page by page (page number, offset, cursor or Link header pagination).',
      config: httpReadConfig,
      read,
      check,
    }),
  ],
};
