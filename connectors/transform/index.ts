// Row transforms between a source and a sink.
import { transform, type Connector } from '../../src/activities/connector.js';
import { prepareMap } from './map.js';
import { transformMapConfig } from './schema.js';

export const transformConnector: Connector = {
  name: 'transform',
  description: 'Transforms records of an upstream dataset',
  nodes: [
    transform({
      verb: 'map',
      description: 'Renames, drops and casts the fields of an upstream dataset, row by row.',
      config: transformMapConfig,
      prepare: prepareMap,
    }),
  ],
};
