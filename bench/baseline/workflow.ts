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
