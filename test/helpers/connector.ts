// What a connector's integration test file sets up: the suite's Temporal server, a fresh
// PostgreSQL database and a central worker on a task queue of its own, all closed by one close().
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { StagingStore } from '../../src/activities/staging.js';
import type { DatasetRef, Row } from '../../src/kit/dataset.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './env.js';
import { startWorker, type RunningWorker } from './worker.js';

export interface ServicesTestEnv extends TemporalTestEnv {
  db: TestDatabase;
  /** Closes Temporal and drops the database. */
  close(): Promise<void>;
}

/** Connects to Temporal and creates a database, both at once; if either fails, the other is closed. */
export async function temporalAndDatabase(): Promise<ServicesTestEnv> {
  const [temporal, db] = await Promise.allSettled([temporalEnv(), createTestDatabase()]);
  if (temporal.status === 'rejected' || db.status === 'rejected') {
    if (temporal.status === 'fulfilled') await temporal.value.close();
    if (db.status === 'fulfilled') await db.value.drop();
    throw temporal.status === 'rejected' ? temporal.reason : (db as PromiseRejectedResult).reason;
  }
  return {
    ...temporal.value,
    db: db.value,
    async close() {
      await temporal.value.close();
      await db.value.drop();
    },
  };
}

export interface ConnectorTestEnv extends ServicesTestEnv {
  worker: RunningWorker;
  taskQueue: string;
  /** A temporary directory of the file's own (with `tempDir`; else ''). */
  dir: string;
  /** Every row of the dataset `ref`, in part order, as the worker's staging store holds it. */
  stagedRows(ref: DatasetRef): Promise<Row[]>;
  /** Stops the worker, closes Temporal, drops the database and removes `dir`. */
  close(): Promise<void>;
}

export interface ConnectorTestOptions {
  /** Prefix of the task queue's name. */
  queue: string;
  /** Fills the new database before the worker starts. */
  seed?: (db: TestDatabase) => Promise<void>;
  /** Variables the worker sees besides process.env: the `$secret`s of the file's pipelines. */
  workerEnv?: (db: TestDatabase) => Record<string, string>;
  /** Other worker options. */
  worker?: Omit<Parameters<typeof startWorker>[1], 'namespace' | 'taskQueue' | 'env'>;
  /** Prefix of a temporary directory to create as `dir`. */
  tempDir?: string;
}

export async function connectorTestEnv(options: ConnectorTestOptions): Promise<ConnectorTestEnv> {
  const services = await temporalAndDatabase();
  const dir = options.tempDir ? fs.mkdtempSync(path.join(os.tmpdir(), options.tempDir)) : '';
  let worker: RunningWorker | undefined;
  const close = async () => {
    await worker?.stop();
    await services.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await options.seed?.(services.db);
    const taskQueue = uniqueName(options.queue);
    worker = await startWorker(services.address, {
      ...options.worker,
      namespace: services.namespace,
      taskQueue,
      env: { ...process.env, ...options.workerEnv?.(services.db) },
    });
    const store = new StagingStore(worker.stagingDir);
    const stagedRows = async (ref: DatasetRef) => {
      const rows: Row[] = [];
      for (let part = 0; part < ref.parts; part++) rows.push(...(await store.readPart(ref, part)));
      return rows;
    };
    return { ...services, worker, taskQueue, dir, stagedRows, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The run's history as text: its JSON export plus every payload decoded (payload data is base64 there). */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const json = historyToJSON(await handle.fetchHistory());
  const decoded: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const rec = node as Record<string, unknown>;
      if (typeof rec.data === 'string' && rec.metadata) decoded.push(Buffer.from(rec.data, 'base64').toString('utf8'));
      Object.values(rec).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  assert.ok(decoded.length > 5, 'payloads were decoded');
  return `${json}\n${decoded.join('\n')}`;
}
