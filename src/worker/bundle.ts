// Builds the workflow bundle in a short-lived child process: webpack needs ~150 MB while it
// runs, and a long-running worker should not keep that heap.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { workflowsPath } from './create.js';

const SLUICE_BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

/**
 * Bundles the workflow code and writes it to `out` (run by the child); with `failureConverterPath`
 * (payload encryption) the sandbox converts failures with that module.
 */
export async function writeWorkflowBundle(out: string, failureConverterPath?: string): Promise<void> {
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: silent, ...(failureConverterPath ? { failureConverterPath } : {}) });
  fs.writeFileSync(out, bundle.code);
}

/** The workflow bundle, built by `sluice __bundle-workflows` in a child process, for the worker's data converter. */
export async function bundleInChildProcess(dataConverter?: DataConverter): Promise<WorkflowBundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-'));
  const out = path.join(dir, 'workflows.js');
  const converter = dataConverter?.failureConverterPath;
  try {
    let stderr = '';
    const child = spawn(process.execPath, [SLUICE_BIN, '__bundle-workflows', out, ...(converter ? [converter] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`building the workflow bundle failed (exit ${code}): ${stderr.slice(-2000)}`);
    return { code: fs.readFileSync(out, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
