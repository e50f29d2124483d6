// The node activities a worker registers: one per node type, named after it.
import type { Catalog } from '../dag/catalog.js';
import type { NodeRunner } from './context.js';
import { nodeActivity, type ExecutorDeps, type NodeActivity } from './executor.js';

/** Builds the activity of every catalog type that has a runner; fails loudly on a gap. */
export function createActivities(catalog: Catalog, runners: Record<string, NodeRunner<never>>, deps: ExecutorDeps): Record<string, NodeActivity> {
  const activities: Record<string, NodeActivity> = {};
  for (const def of catalog.values()) {
    const run = runners[def.type];
    if (!run) throw new Error(`node type ${def.type} is in the catalog but has no runner`);
    activities[def.type] = nodeActivity(def, run as NodeRunner<unknown>, deps);
  }
  return activities;
}
