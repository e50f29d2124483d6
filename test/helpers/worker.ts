// Starts real Sluice workers (central or site) against the test Temporal server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createWorker, workflowsPath, type WorkerSetup } from '../../src/worker/create.js';
import { createLogger } from '../../src/log.js';
import { installRuntime } from '../../src/worker/runtime.js';
import { testPolicy } from './access.js';

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** The workflow bundle, built once per test process (and per failure converter: payload encryption has its own). */
export function workflowBundle(failureConverterPath?: string): Promise<WorkflowBundleWithSourceMap> {
  const key = failureConverterPath ?? '';
  let bundle = bundles.get(key);
  if (!bundle) {
    const logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
    bundle = bundleWorkflowCode({ workflowsPath, logger, ...(failureConverterPath ? { failureConverterPath } : {}) });
    bundles.set(key, bundle);
  }
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
    // Tests read and write files in temp directories; the policy tests pass their own.
    policy: testPolicy,
    ...options,
    connection,
    stagingDir,
    logger,
    ...(options.site ? {} : { workflowBundle: await workflowBundle(options.dataConverter?.failureConverterPath) }),
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
