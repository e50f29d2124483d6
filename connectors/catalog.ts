import { makeCatalog, type Catalog } from '../src/dag/catalog.js';
import { controlSleepConfig } from './control/schema.js';
import { postgresReadConfig, postgresWriteConfig } from './postgres/schema.js';
import { transformMapConfig } from './transform/schema.js';

export type { ControlSleepConfig } from './control/schema.js';
export type { PostgresReadConfig, PostgresWriteConfig } from './postgres/schema.js';
export type { TransformMapConfig } from './transform/schema.js';

/** Every node type this build knows: the validator, the JSON Schema and the workers all read this one list. */
export const catalog: Catalog = makeCatalog([
  {
    type: 'postgres.read',
    description: 'Runs a query on Postgres and streams its rows into a dataset.',
    config: postgresReadConfig,
    consumesDataset: false,
    producesDataset: true,
  },
  {
    type: 'postgres.write',
    description: 'Loads an upstream dataset into a Postgres table (append, replace or upsert), exactly once.',
    config: postgresWriteConfig,
    consumesDataset: true,
    producesDataset: false,
  },
  {
    type: 'transform.map',
    description: 'Renames, drops and casts the fields of an upstream dataset, row by row.',
    config: transformMapConfig,
    consumesDataset: true,
    producesDataset: true,
  },
  {
    type: 'control.sleep',
    description: 'Waits for a number of milliseconds; pausable, and resumes with the time left.',
    config: controlSleepConfig,
    consumesDataset: false,
    producesDataset: false,
  },
]);
