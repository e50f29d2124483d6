// The catalog of node types, derived from the connectors: the validator, the JSON Schema and the
// workers all read this one list.
import { makeCatalog, type Catalog } from './dag/catalog.js';
import { nodeTypeDef } from './activities/kinds/index.js';
import { connectors } from '../connectors/index.js';

export type { ControlSleepConfig } from '../connectors/control/schema.js';
export type { PostgresReadConfig, PostgresWriteConfig } from '../connectors/postgres/schema.js';
export type { TransformMapConfig } from '../connectors/transform/schema.js';

export const catalog: Catalog = makeCatalog(connectors.flatMap((c) => c.nodes.map((n) => nodeTypeDef(c, n))));
