// The sluice.check activity: one node's connectivity/permission test, run by the worker that would
// run the node, with that worker's secrets. A failed check is a result, never a thrown error, so
// Temporal does not retry a wrong password and the workflow reports every node at once.
import { Context } from '@temporalio/activity';
import type { Logger } from '../log.js';
import type { NodeCheckResult, NodeCheckTask } from '../workflows/messages.js';
import type { AnyNodeType, Connector } from '../kit/contract.js';
import { scrub } from './errors.js';
import { parseNodeConfig } from './node-config.js';
import { accessFor, nodeTypeRefusal, type SitePolicy } from '../kit/access.js';
import { placeOf, workerOf } from '../dag/vocabulary.js';

export interface CheckDeps {
  connectors: readonly Connector[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** What the worker's owner lets nodes touch; checks obey it like runs. */
  policy: SitePolicy;
  /** Where secrets are read from, for messages; default: the node's site or the central worker. */
  where?: string;
}

/** Identity of the check for the connector context (the check's workflow id, or a local label). */
export interface CheckRunInfo {
  runId: string;
  attempt: number;
  /** Aborted when the check is cancelled; the check's own timeout aborts it too. */
  signal?: AbortSignal;
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

function nodeTypes(connectors: readonly Connector[]): Map<string, AnyNodeType> {
  return new Map(connectors.flatMap((c) => c.nodes.map((n): [string, AnyNodeType] => [`${c.name}.${n.verb}`, n])));
}

/** Rejects after `ms`; aborting `signal` (the check ended) clears the timer. */
function deadline(ms: number, signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`the check did not finish within ${seconds(ms)}`)), ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });
}

/** Creates the checker of one node: resolves secrets, parses the config, runs the node type's check. */
export function nodeChecker(deps: CheckDeps): (task: NodeCheckTask, run: CheckRunInfo) => Promise<NodeCheckResult> {
  const types = nodeTypes(deps.connectors);
  const access = accessFor(deps.policy);
  return async (task, run) => {
    const where = deps.where ?? workerOf(task.site);
    const log = deps.logger.child({ runId: run.runId, nodeId: task.nodeId, site: placeOf(task.site), type: task.type });
    const node = types.get(task.type);
    if (!node) return { ok: false, error: `node type ${task.type} is not installed on ${where}` };
    const refused = nodeTypeRefusal(deps.policy, task.type);
    if (refused) return { ok: false, error: `forbidden by the policy of ${deps.policy.owner}: ${refused} (type)` };
    let secrets: string[] = [];
    const stop = new AbortController();
    const started = performance.now();
    try {
      const { config } = parseNodeConfig(node.config, task.config, deps.env, where, deps.policy, (values) => {
        secrets = values;
      });
      if (!node.check) return { ok: true, skipped: 'no check for this node type' };
      const signal = run.signal ? AbortSignal.any([run.signal, stop.signal]) : stop.signal;
      const ctx = { runId: run.runId, pipeline: task.pipeline, nodeId: task.nodeId, attempt: run.attempt, log, signal, access };
      await Promise.race([node.check(config, ctx), deadline(task.timeoutMs, stop.signal)]);
      const ms = Math.round(performance.now() - started);
      log.info({ ms }, 'node check passed');
      return { ok: true, ms };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const error = scrub(message, secrets);
      log.warn({ error }, 'node check failed');
      return { ok: false, error };
    } finally {
      // Ends the deadline timer, and tells a check still waiting (e.g. on a dead host) to give up.
      stop.abort();
    }
  };
}

/** The `sluice.check` activity, registered on every worker. */
export function checkActivity(deps: CheckDeps): (task: NodeCheckTask) => Promise<NodeCheckResult> {
  const check = nodeChecker(deps);
  return async (task) => {
    const { info, cancellationSignal } = Context.current();
    return check(task, { runId: info.workflowExecution?.workflowId ?? info.activityId, attempt: info.attempt, signal: cancellationSignal });
  };
}
