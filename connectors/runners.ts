// The executor of every node type in the catalog (worker side only: these do I/O).
import type { NodeRunner } from '../src/activities/context.js';
import { sleep } from './control/sleep.js';
import { read } from './postgres/read.js';
import { write } from './postgres/write.js';
import { map } from './transform/map.js';

// Each runner's config type is checked against its schema where the catalog is joined (activities).
export const runners: Record<string, NodeRunner<never>> = {
  'control.sleep': sleep as NodeRunner<never>,
  'postgres.read': read as NodeRunner<never>,
  'postgres.write': write as NodeRunner<never>,
  'transform.map': map as NodeRunner<never>,
};
