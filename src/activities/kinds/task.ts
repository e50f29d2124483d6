// Runs a task node: the connector gets its config and the kit's task context (checkpoint, commit,
// stop requests); the engine heartbeats whatever it commits.
import type { TaskNodeType } from '../../kit/contract.js';
import type { NodeRunner } from '../context.js';
import { connectorContext } from './connector-context.js';

export function taskRunner(node: TaskNodeType): NodeRunner<unknown> {
  return (ctx) =>
    node.run(ctx.config, {
      ...connectorContext(ctx),
      checkpoint: ctx.checkpoint,
      commit: (checkpoint) => ctx.commit(checkpoint),
      stopRequested: () => ctx.stopRequested(),
    });
}
