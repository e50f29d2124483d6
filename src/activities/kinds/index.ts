// Turns a connector's node types into the catalog entries and runners the engine uses.
import type { NodeTypeDef } from '../../dag/catalog.js';
import type { AnyNodeType, Connector } from '../../kit/contract.js';
import type { NodeRunner } from '../context.js';
import { sinkRunner } from './sink.js';
import { sourceRunner } from './source.js';
import { taskRunner } from './task.js';
import { transformRunner } from './transform.js';

export function nodeTypeDef(connector: Connector, node: AnyNodeType): NodeTypeDef {
  return {
    type: `${connector.name}.${node.verb}`,
    description: node.description,
    config: node.config,
    consumesDataset: node.kind === 'sink' || node.kind === 'transform',
    producesDataset: node.kind === 'source' || node.kind === 'transform',
  };
}

export function nodeRunner(node: AnyNodeType): NodeRunner<unknown> {
  switch (node.kind) {
    case 'source':
      return sourceRunner(node);
    case 'sink':
      return sinkRunner(node);
    case 'transform':
      return transformRunner(node);
    case 'task':
      return taskRunner(node);
  }
}
