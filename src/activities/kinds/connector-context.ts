// The part of a node's context every connector call gets: who it is, its log, and its stop signal.
import type { ConnectorContext } from '../../kit/contract.js';
import type { NodeContext } from '../context.js';

export function connectorContext(ctx: NodeContext<unknown>): ConnectorContext {
  return { runId: ctx.runId, pipeline: ctx.pipeline, nodeId: ctx.nodeId, attempt: ctx.attempt, log: ctx.log, signal: ctx.signal, abandon: ctx.abandon, access: ctx.access };
}
