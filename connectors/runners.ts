// The runner of every node type in the catalog (worker side: these do I/O).
import type { NodeRunner } from '../src/activities/context.js';
import { nodeRunner } from '../src/activities/kinds/index.js';
import { connectors } from './index.js';

export const runners: Record<string, NodeRunner<never>> = Object.fromEntries(
  connectors.flatMap((c) => c.nodes.map((n) => [`${c.name}.${n.verb}`, nodeRunner(n) as NodeRunner<never>])),
);
