// Row transforms between a source and a sink: one input part to one output part each.
import { type Connector, transform } from '../../src/kit/index.js';
import { prepareDedupe } from './dedupe.js';
import { prepareFilter } from './filter.js';
import { prepareMap } from './map.js';
import { transformDedupeConfig, transformFilterConfig, transformMapConfig, transformValidateConfig } from './schema.js';
import { prepareValidate } from './validate.js';

export const transformConnector: Connector = {
  name: 'transform',
  description: 'Transforms records of an upstream dataset',
  nodes: [
    transform({
      verb: 'map',
      description: 'Casts, computes (CEL expressions), renames and drops the fields of an upstream dataset, row by row.',
      config: transformMapConfig,
      prepare: prepareMap,
    }),
    transform({
      verb: 'filter',
      description: 'Keeps the rows of an upstream dataset for which a CEL expression is true.',
      config: transformFilterConfig,
      prepare: prepareFilter,
    }),
    transform({
      verb: 'dedupe',
      description: 'Keeps the first row of each key across a whole upstream dataset.',
      config: transformDedupeConfig,
      prepare: prepareDedupe,
    }),
    transform({
      verb: 'validate',
      description: 'Checks the rows of an upstream dataset against per-field rules; rows that break one are bad records.',
      config: transformValidateConfig,
      prepare: prepareValidate,
    }),
  ],
};
