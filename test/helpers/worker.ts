// Starts real Sluice workers (central or site) against the test Temporal server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createWorker, workflowsPath, type WorkerSetup } from '../../src/worker/create.js';
import { createLogger } from '../../src/log.js';
import { installRuntime } from '../../src/worker/runtime.js';

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;

/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  return bundle;
}

export interface RunningWorker {
  worker: Worker;
  stagingDir: string;
  stop(): Promise<void>;
}

export async function startWorker(
  address: string,
  options: Omit<WorkerSetup, 'connection' | 'stagingDir' | 'logger'> & { stagingDir?: string },
): Promise<RunningWorker> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  installRuntime(logger);
  const connection = await NativeConnection.connect({ address });
  const stagingDir = options.stagingDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-staging-'));
  const worker = await createWorker({
    ...options,
    connection,
    stagingDir,
    logger,
    ...(options.site ? {} : { workflowBundle: await workflowBundle() }),
  });
  const running = worker.run();
  return {
    worker,
    stagingDir,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
