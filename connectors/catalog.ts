// The catalog of node types, derived from the connectors: the validator, the JSON Schema and the
// workers all read this one list.
import { makeCatalog, type Catalog } from '../src/dag/catalog.js';
import { nodeTypeDef } from '../src/activities/kinds/index.js';
import { connectors } from './index.js';

export type { ControlSleepConfig } from './control/schema.js';
export type { PostgresReadConfig, PostgresWriteConfig } from './postgres/schema.js';
export type { TransformMapConfig } from './transform/schema.js';

export const catalog: Catalog = makeCatalog(connectors.flatMap((c) => c.nodes.map((n) => nodeTypeDef(c, n))));
