// The node activities a worker registers: one per node type of every connector, named after it.
import type { Connector } from '../kit/contract.js';
import { nodeActivity, type ExecutorDeps, type NodeActivity } from './executor.js';
import { nodeRunner, nodeTypeDef } from './kinds/index.js';

export function createActivities(connectors: readonly Connector[], deps: ExecutorDeps): Record<string, NodeActivity> {
  const activities: Record<string, NodeActivity> = {};
  for (const connector of connectors) {
    for (const node of connector.nodes) {
      const def = nodeTypeDef(connector, node);
      activities[def.type] = nodeActivity(def, nodeRunner(node), deps);
    }
  }
  return activities;
}
