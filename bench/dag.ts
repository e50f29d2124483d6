// `npm run bench:dag`: how the engine scales with the size of a DAG. Runs fan-out pipelines of
// no-op nodes (one root, then every other node needing it; `control.sleep` with ms 0, so each node
// is a real Sluice activity: executor, heartbeat, outputs) on a real Temporal dev server, and in
// the same run the hand-written baseline (bench/baseline/workflow.ts: the same number of no-op
// activities, the same window in flight, no DAG bookkeeping). Prints wall time, ms per node, the
// ratio to the baseline, and the largest history of any execution of the run.
//   BENCH_DAG_SIZES=1000,10000   explicit node counts
//   BENCH_DAG_PARALLEL=64        maxParallel of the pipelines and window of the baseline
//   BENCH_DAG_MAPPED=100000      items of the mapped case (one `forEach` node; 0 skips it), whose
//                                baseline runs the same activities in child workflows of 1,000
//   BENCH_DAG_WARMUP=200         nodes of an untimed run of each workflow first (0: none), so that
//                                neither side pays the process's JIT warm-up in its timed runs
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { catalog } from '../src/catalog.js';
import { validatePipeline } from '../src/dag/validate.js';
import { createLogger } from '../src/log.js';
import type { RunInput } from '../src/workflows/messages.js';
import { createWorker } from '../src/worker/create.js';
import { installRuntime } from '../src/worker/runtime.js';
import { unrestrictedPolicy } from '../src/worker/policy.js';
import { startDevServer } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { MAP_CHUNK_ITEMS, MAP_INSTANCES_PER_CHUNK, SLUICE_PIPELINE, SLUICE_STATUS } from '../src/workflows/messages.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.BENCH_DAG_SIZES ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);
const PARALLEL = Number(process.env.BENCH_DAG_PARALLEL ?? 64);
const MAPPED = Number(process.env.BENCH_DAG_MAPPED ?? 100_000);
const WARMUP = Number(process.env.BENCH_DAG_WARMUP ?? 200);
const TASK_QUEUE = 'bench-dag';
const BASELINE_QUEUE = 'bench-dag-baseline';

function fanOut(n: number): RunInput {
  const spec = {
    name: `fan-out-${n}`,
    maxParallel: PARALLEL,
    recoveryWindow: 0,
    nodes: [
      { id: 'root', type: 'control.sleep', config: { ms: 0 } },
      ...Array.from({ length: n - 1 }, (_, i) => ({ id: `n${i + 1}`, type: 'control.sleep', needs: 'root', config: { ms: 0 } })),
    ],
  };
  const result = validatePipeline(spec, catalog);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return { pipeline: spec.name, version: 1, spec: result.spec, params: {} };
}

/** One mapped node of `n` no-op items. */
function mapped(n: number): RunInput {
  const spec = {
    name: `mapped-${n}`,
    maxParallel: PARALLEL,
    recoveryWindow: 0,
    nodes: [{ id: 'each', type: 'control.sleep', forEach: Array.from({ length: n }, () => 0), config: { ms: '{{ item }}' } }],
  };
  const result = validatePipeline(spec, catalog);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return { pipeline: spec.name, version: 1, spec: result.spec, params: {} };
}

/** The largest history (events) of the run's executions: its own, continued-as-new ones and its children. */
async function largestHistory(client: Client, workflowId: string): Promise<number> {
  let largest = 0;
  const query = `WorkflowId = '${workflowId}' OR RootWorkflowId = '${workflowId}'`;
  for await (const execution of client.workflow.list({ query })) {
    const desc = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
    largest = Math.max(largest, desc.historyLength);
  }
  return largest;
}

interface Measured {
  ms: number;
  outcome: string;
  history: number;
}

async function measure(client: Client, workflowId: string, start: () => Promise<unknown>): Promise<Measured> {
  const t0 = performance.now();
  let outcome = 'completed';
  try {
    await start();
  } catch (err) {
    outcome = `failed: ${err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message}`.slice(0, 160);
  }
  const ms = performance.now() - t0;
  return { ms, outcome, history: await largestHistory(client, workflowId) };
}

const server = await startDevServer({ logFile: path.join(os.tmpdir(), 'sluice-bench-dag-temporal.log') });
const logger = createLogger(process.env.LOG_LEVEL ?? 'error');
installRuntime(logger);
const native = await NativeConnection.connect({ address: server.address });
const connection = await Connection.connect({ address: server.address });
await ensureSearchAttributes(connection, 'default');
const client = new Client({ connection });
const sluice = await createWorker({
  connection: native,
  namespace: 'default',
  taskQueue: TASK_QUEUE,
  stagingDir: path.join(os.tmpdir(), 'sluice-bench-dag-staging'),
  logger,
  policy: unrestrictedPolicy('bench:dag'),
  searchAttributeCheckMs: 0,
});
const baseline = await Worker.create({
  connection: native,
  namespace: 'default',
  taskQueue: BASELINE_QUEUE,
  workflowsPath: path.join(here, 'baseline', 'workflow.ts'),
  activities: { noop: async (i: number) => i },
});
const running = Promise.all([sluice.run(), baseline.run()]);

console.log(`bench:dag — fan-out of no-op nodes, maxParallel ${PARALLEL}, ${os.cpus().length} cores${WARMUP > 0 ? `, after an untimed warm-up of ${WARMUP} nodes each` : ''}`);
const rows: string[] = [];
let perNodeAtFirst: number | null = null;
function startPipeline(input: RunInput, id: string): Promise<unknown> {
  return client.workflow.execute('runPipeline', {
    taskQueue: TASK_QUEUE,
    workflowId: id,
    args: [input],
    typedSearchAttributes: [
      { key: SLUICE_PIPELINE, value: input.pipeline },
      { key: SLUICE_STATUS, value: 'running' },
    ],
  });
}
try {
  // Sluice ran first in a cold process and the baseline after it on warmed-up worker code: warm both.
  if (WARMUP > 0) {
    await startPipeline(fanOut(WARMUP), `bench-dag-warmup-${Date.now()}`);
    await client.workflow.execute('baselineFanOut', { taskQueue: BASELINE_QUEUE, workflowId: `bench-dag-baseline-warmup-${Date.now()}`, args: [WARMUP, PARALLEL] });
  }
  for (const n of SIZES) {
    const input = fanOut(n);
    const id = `bench-dag-${n}-${Date.now()}`;
    const run = await measure(client, id, () => startPipeline(input, id));
    const baseId = `bench-dag-baseline-${n}-${Date.now()}`;
    const base = await measure(client, baseId, () => client.workflow.execute('baselineFanOut', { taskQueue: BASELINE_QUEUE, workflowId: baseId, args: [n, PARALLEL] }));
    const perNode = run.ms / n;
    perNodeAtFirst ??= perNode;
    rows.push(
      [
        `${n.toLocaleString('en')} nodes`.padEnd(14),
        `sluice ${(run.ms / 1000).toFixed(1)}s ${perNode.toFixed(2)} ms/node, largest history ${run.history.toLocaleString('en')} events, ${run.outcome}`,
        `\n${''.padEnd(14)} baseline ${(base.ms / 1000).toFixed(1)}s ${(base.ms / n).toFixed(2)} ms/node, history ${base.history.toLocaleString('en')} events, ${base.outcome}`,
        `\n${''.padEnd(14)} ratio sluice/baseline ${(run.ms / base.ms).toFixed(2)} (target <= 1.05 at 1,000); ms/node vs the first size ${(perNode / perNodeAtFirst).toFixed(2)}x (target <= 1.5)`,
      ].join(' '),
    );
    console.log(rows[rows.length - 1]);
  }
  if (MAPPED > 0) {
    const input = mapped(MAPPED);
    const id = `bench-dag-mapped-${MAPPED}-${Date.now()}`;
    const run = await measure(client, id, () => client.workflow.execute('runPipeline', { taskQueue: TASK_QUEUE, workflowId: id, args: [input], typedSearchAttributes: [{ key: SLUICE_PIPELINE, value: input.pipeline }, { key: SLUICE_STATUS, value: 'running' }] }));
    const chunksAtOnce = Math.max(1, Math.min(Math.ceil(MAPPED / MAP_CHUNK_ITEMS), Math.ceil(PARALLEL / MAP_INSTANCES_PER_CHUNK)));
    const baseId = `bench-dag-baseline-mapped-${MAPPED}-${Date.now()}`;
    const base = await measure(client, baseId, () => client.workflow.execute('baselineMapped', { taskQueue: BASELINE_QUEUE, workflowId: baseId, args: [MAPPED, PARALLEL, chunksAtOnce] }));
    rows.push(
      [
        `${MAPPED.toLocaleString('en')} mapped`.padEnd(14),
        `sluice ${(run.ms / 1000).toFixed(1)}s ${(run.ms / MAPPED).toFixed(2)} ms/item, largest history ${run.history.toLocaleString('en')} events, ${run.outcome}`,
        `\n${''.padEnd(14)} baseline ${(base.ms / 1000).toFixed(1)}s ${(base.ms / MAPPED).toFixed(2)} ms/item, largest history ${base.history.toLocaleString('en')} events, ${base.outcome}`,
        `\n${''.padEnd(14)} ratio sluice/baseline ${(run.ms / base.ms).toFixed(2)}; ${chunksAtOnce} chunks of ${MAP_CHUNK_ITEMS.toLocaleString('en')} at once`,
      ].join(' '),
    );
    console.log(rows[rows.length - 1]);
  }
} finally {
  sluice.shutdown();
  baseline.shutdown();
  await running.catch(() => undefined);
  await connection.close();
  await native.close();
  await server.stop();
}
