// `sluice check FILE [--param k=v]... [--local]`: tests every node's connection, either through
// Temporal on the worker of each node's site (where its secrets are) or in this process.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { catalog } from '../catalog.js';
import { connectors } from '../../connectors/index.js';
import { connectClient } from '../../temporal/connection.js';
import { registerSearchAttributesOnStart } from '../../temporal/search-attributes.js';
import { nodeChecker } from '../activities/check.js';
import { unrestrictedPolicy } from '../worker/policy.js';
import { BadRequestError } from '../api/errors.js';
import { runCheck } from '../api/runs/check.js';
import { resolveParams } from '../api/runs/params.js';
import { loadConfig } from '../config.js';
import { payloadDataConverter } from '../codec/data-converter.js';
import type { PipelineSpec } from '../dag/spec.js';
import { parsePipelineText, validatePipeline } from '../dag/validate.js';
import { createLogger } from '../log.js';
import type { CheckOptions } from './options.js';
import { typedParams } from './params.js';
import { planChecks } from '../workflows/check.js';
import { DEFAULT_CHECK_TIMEOUT_MS, type CheckInput, type CheckResult, type NodeCheckResult } from '../workflows/messages.js';

function loadSpec(file: string, out: (line: string) => void): PipelineSpec | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    out(`${file}: cannot read: ${(err as Error).message}`);
    return null;
  }
  const parsed = parsePipelineText(text, path.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml');
  const result = parsed.ok ? validatePipeline(parsed.value, catalog) : parsed;
  if (result.ok) return result.spec;
  for (const e of result.errors) out(`${file}: ${e.path || '(root)'}: ${e.message}`);
  return null;
}

async function checkLocally(input: CheckInput, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const check = nodeChecker({ connectors, env, logger: createLogger(env.LOG_LEVEL ?? 'silent', 'sluice', true), where: 'this shell', policy: unrestrictedPolicy('this shell') });
  const runId = `local-${input.pipeline}`;
  const results = await Promise.all(
    planChecks(input, runId).map(async (p): Promise<[string, NodeCheckResult]> => [p.nodeId, 'result' in p ? p.result : await check(p.task, { runId, attempt: 1 })]),
  );
  return { ok: results.every(([, r]) => r.ok), nodes: Object.fromEntries(results) };
}

async function checkThroughTemporal(input: CheckInput): Promise<CheckResult> {
  const config = loadConfig();
  const connection = await connectClient(config);
  try {
    const dataConverter = payloadDataConverter(config.SLUICE_PAYLOAD_KEYS);
    // The check is started with SluicePipeline set: a server that lost it gets it registered again.
    const interceptors = { workflow: [registerSearchAttributesOnStart(connection, config.TEMPORAL_NAMESPACE)] };
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors, ...(dataConverter ? { dataConverter } : {}) });
    return (await runCheck(client, config.SLUICE_TASK_QUEUE, input)).result;
  } finally {
    await connection.close();
  }
}

/** One aligned line per node: `extract  ok  12ms`, `load  FAILED  <why>`. */
export function formatCheck(result: CheckResult): string[] {
  const entries = Object.entries(result.nodes);
  const width = Math.max(...entries.map(([id]) => id.length));
  return entries.map(([id, r]) => {
    const [state, detail] = !r.ok ? ['FAILED', r.error] : 'skipped' in r ? ['skipped', r.skipped] : ['ok', `${r.ms}ms`];
    return `${id.padEnd(width)}  ${state.padEnd(7)}  ${detail}`;
  });
}

/** Checks a pipeline file and prints a line per node; returns the exit code (1: invalid or a node failed). `env` holds the secrets of --local. */
export async function checkFile(file: string, options: CheckOptions, out: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const spec = loadSpec(file, out);
  if (!spec) return 1;
  let params: Record<string, unknown>;
  try {
    params = resolveParams(spec.params, typedParams(spec.params, options.param));
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    for (const e of err.errors) out(`${e.path}: ${e.message}`);
    return 1;
  }
  // A file is not a registered version; 0 says so in the Temporal UI's summary.
  const input: CheckInput = { pipeline: spec.name, version: 0, spec, params, timeoutMs: options.timeout ?? DEFAULT_CHECK_TIMEOUT_MS };
  const result = options.local ? await checkLocally(input, env) : await checkThroughTemporal(input);
  for (const line of formatCheck(result)) out(line);
  return result.ok ? 0 : 1;
}
