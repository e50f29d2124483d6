// The databricks connector: queries on Databricks SQL warehouses.
import { type Connector, source } from '../../src/kit/index.js';
import { check } from './check.js';
import { read } from './read.js';
import { databricksReadConfig } from './schema.js';

export const databricks: Connector = {
  name: 'databricks',
  description: 'Databricks SQL warehouses (Statement Execution API 2.0)',
  nodes: [
    source({
      verb: 'read',
      description: 'Runs a SQL query on a Databricks SQL warehouse and stages its result chunk by chunk.',
      config: databricksReadConfig,
      read,
      check,
    }),
  ],
};
