// A `sluice worker` started as its own OS process, the way users start it, so a test can SIGKILL
// it (no graceful shutdown, no checkpoint handed back) or watch that it stays alive through a fault.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './env.js';

const SLUICE = path.join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

export interface WorkerProcess {
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  /** Sends `signal` and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface WorkerProcessOptions {
  /** Temporal frontend host:port. */
  address: string;
  /** Base task queue (SLUICE_TASK_QUEUE). */
  taskQueue: string;
  stagingDir: string;
  /** More environment: the pipelines' `$secret`s, SLUICE_* settings. */
  env: Record<string, string>;
  /** `--site NAME`: a site worker. */
  site?: string;
}

/** Starts `sluice worker` as its own process and resolves once it polls its task queue. */
export async function spawnWorker(options: WorkerProcessOptions): Promise<WorkerProcess> {
  let logs = '';
  const proc: ChildProcess = spawn(process.execPath, [SLUICE, 'worker', ...(options.site ? ['--site', options.site] : [])], {
    env: {
      ...process.env,
      ...options.env,
      TEMPORAL_ADDRESS: options.address,
      SLUICE_TASK_QUEUE: options.taskQueue,
      SLUICE_STAGING_DIR: options.stagingDir,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const handle: WorkerProcess = {
    pid: proc.pid!,
    logs: () => logs,
    alive,
    async kill(signal) {
      if (alive()) proc.kill(signal);
      await exited;
    },
  };
  try {
    await waitFor(async () => {
      if (!alive()) throw new Error(`worker exited with ${proc.exitCode ?? proc.signalCode}:\n${logs.slice(-2000)}`);
      return logs.includes('worker polling');
    }, 'the worker process to start polling', 90_000);
  } catch (err) {
    await handle.kill('SIGKILL');
    throw err;
  }
  return handle;
}
