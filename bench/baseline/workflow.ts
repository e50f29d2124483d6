// The baseline of `npm run bench:dag`: the same no-op activities a fan-out pipeline runs (one
// root, then the rest), hand-written as a plain Temporal workflow with a sliding window of
// `parallel` activities in flight and no DAG bookkeeping at all.
import * as wf from '@temporalio/workflow';

const { noop } = wf.proxyActivities<{ noop(i: number): Promise<number> }>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '30 seconds',
});

export async function baselineFanOut(nodes: number, parallel: number): Promise<number> {
  await noop(0);
  let next = 1;
  let done = 1;
  const worker = async (): Promise<void> => {
    while (next < nodes) {
      const i = next++;
      await noop(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, nodes - 1) }, worker));
  return done;
}

/** Items per child in baselineMapped: the chunk size Sluice's mapped nodes use. */
const CHUNK = 1_000;

/** One chunk of baselineMapped: `count` no-op activities, `parallel` in flight. */
export async function baselineChunk(count: number, parallel: number): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await noop(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return count;
}

/**
 * The baseline of a mapped node: `items` no-op activities in child workflows of CHUNK each (one
 * execution could not hold 100,000), the same chunks at once and window per chunk as Sluice uses.
 */
export async function baselineMapped(items: number, parallel: number, chunksAtOnce: number): Promise<number> {
  const chunks = Math.ceil(items / CHUNK);
  const perChunk = Math.max(1, Math.floor(parallel / chunksAtOnce));
  let next = 0;
  let done = 0;
  const runner = async (): Promise<void> => {
    while (next < chunks) {
      const k = next++;
      done += await wf.executeChild(baselineChunk, { workflowId: `${wf.workflowInfo().workflowId}/chunk-${k}`, args: [Math.min(CHUNK, items - k * CHUNK), perChunk] });
    }
  };
  await Promise.all(Array.from({ length: Math.min(chunksAtOnce, chunks) }, runner));
  return done;
}
