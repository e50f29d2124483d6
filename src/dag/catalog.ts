import type { z } from 'zod';
import { NODE_TYPE_PATTERN } from './spec.js';

/** What the engine knows about one node type; connectors declare these. */
export interface NodeTypeDef {
  /** `<connector>.<verb>`, e.g. `postgres.read`. */
  type: string;
  description: string;
  /** The node type's own config schema. */
  config: z.ZodType;
  /** Reads its upstream's record dataset. */
  consumesDataset: boolean;
  /** Outputs a record dataset. */
  producesDataset: boolean;
}

export type Catalog = ReadonlyMap<string, NodeTypeDef>;

/** A catalog keyed by type; throws on a duplicate or malformed type, which is a programming error. */
export function makeCatalog(defs: NodeTypeDef[]): Catalog {
  const catalog = new Map<string, NodeTypeDef>();
  for (const def of defs) {
    if (!NODE_TYPE_PATTERN.test(def.type)) throw new Error(`node type "${def.type}" is not <connector>.<verb>`);
    if (catalog.has(def.type)) throw new Error(`node type "${def.type}" is declared twice`);
    catalog.set(def.type, def);
  }
  return catalog;
}
