// Builds a worker: central (the runPipeline workflow and central nodes, on the base task queue)
// or site (`site` set: that site's node activities only, on `<base>-site-<site>`).
import { createRequire } from 'node:module';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { connectors } from '../../connectors/index.js';
import { checkActivity } from '../activities/check.js';
import { createActivities } from '../activities/index.js';
import { HEARTBEAT_MS, type AttemptLogs } from '../activities/executor.js';
import { createStagingStore, stagingSettings } from '../activities/staging/from-env.js';
import { startStagingSweeper } from '../activities/staging/retention.js';
import { metadataDbTimeouts, nodeTaskQueue } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { CHECK_ACTIVITY } from '../workflows/messages.js';
import { installRuntime } from './runtime.js';
import { metadataStore, type CentralStore } from './metadata.js';
import { readStateActivities, saveStateActivities } from './save-state.js';
import { slotActivities } from './slots.js';
import { gatherActivities } from './gather.js';
import { rejectedActivities } from './rejected.js';
import type { NodeMetrics } from '../activities/metrics.js';
import type { Tracer } from '@opentelemetry/api';
import { activityTracing } from '../tracing.js';
import { notifyActivities } from './notify.js';
import { runHistoryActivities } from './run-history.js';
import { CENTRAL, workerOf } from '../dag/vocabulary.js';
import { bundleEncodesFailures } from '../codec/data-converter.js';
import type { SitePolicy } from '../kit/access.js';
import { loadPolicy } from './policy.js';
import { keepSearchAttributesRegistered, SEARCH_ATTRIBUTE_CHECK_MS } from '../../temporal/search-attributes.js';

const require = createRequire(import.meta.url);

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  /** Base task queue (`sluice` by default). */
  taskQueue: string;
  site?: string;
  stagingDir: string;
  logger?: Logger;
  /** Extra node activities by type (tests register failure-injecting types this way). */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  env?: NodeJS.ProcessEnv;
  /** What the worker's owner lets nodes touch; default: the built-in protections (src/worker/policy.ts). */
  policy?: SitePolicy;
  /** Abort it when the process begins to shut down, so running nodes checkpoint right away. */
  drain?: AbortSignal;
  /** A pre-built workflow bundle (tests build it once per file); default: bundle at start. */
  workflowBundle?: WorkflowBundleOption;
  /**
   * Where a central worker saves node state after successful runs (sluice.saveState) and keeps the
   * concurrency slots of runs (sluice.acquireSlot, sluice.releaseSlot): this store (e.g. the API's,
   * in `sluice dev`), else the metadata database at DATABASE_URL of `env`, opened on first use.
   */
  metadata?: CentralStore;
  /** Payload encryption (payloadDataConverter); a pre-built bundle must then carry its failure converter. */
  dataConverter?: DataConverter;
  /** Ships node attempts' log lines to the API (unless the policy says `logs: { ship: false }`). */
  logShipper?: AttemptLogs;
  /**
   * How often a central worker checks that the Sluice search attributes are still registered, and
   * registers them again if the server lost them (ms; default SEARCH_ATTRIBUTE_CHECK_MS; 0: never).
   */
  searchAttributeCheckMs?: number;
  /** Where node attempts report what they committed (the worker's /metrics). */
  metrics?: NodeMetrics;
  /** Traces each node attempt (OpenTelemetry; src/tracing.ts). */
  tracer?: Tracer;
}

/** Path of the workflow bundle's entry, for the worker and for replay. */
export const workflowsPath = require.resolve('../workflows/index.ts');

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const logger = setup.logger ?? createLogger();
  installRuntime(logger);
  const env = setup.env ?? process.env;
  // The store this worker writes datasets to: SLUICE_STAGING_URL (S3) or the local stagingDir.
  const stagingEnv = stagingSettings(env);
  const staging = createStagingStore(setup.stagingDir, stagingEnv, workerOf(setup.site));
  const policy = setup.policy ?? loadPolicy({ site: setup.site, dataDir: env.SLUICE_DATA_DIR ?? "data", stagingDir: setup.stagingDir });
  const openMetadata = metadataStore(setup.metadata, env.DATABASE_URL, logger, metadataDbTimeouts(env));
  const activities = {
    ...createActivities(connectors, { staging, policy, logger, env, ...(setup.drain ? { drain: setup.drain } : {}), ...(setup.metrics ? { metrics: setup.metrics } : {}), ...(setup.logShipper && policy.shipLogs !== false ? { logs: setup.logShipper } : {}) }),
    ...setup.extraActivities,
    // Every worker can check its own nodes: their secrets exist only in its environment.
    [CHECK_ACTIVITY]: checkActivity({ connectors, env, logger, policy }),
    // Runs call these on their own (central) task queue: slots before and after, node states once they succeed.
    ...(setup.site ? {} : saveStateActivities(openMetadata, env.DATABASE_URL, logger)),
    ...(setup.site ? {} : readStateActivities(openMetadata, env.DATABASE_URL)),
    ...(setup.site ? {} : slotActivities(openMetadata, env.DATABASE_URL, logger)),
    // Mapped nodes gather their instances' outputs into a dataset of the central store.
    ...(setup.site ? {} : gatherActivities(staging)),
    // The API reads samples of central nodes' rejected records through them; a site's stay on its hosts.
    ...(setup.site ? {} : rejectedActivities(staging)),
    // Runs tell their notify targets of their events from the central workers.
    ...(setup.site ? {} : notifyActivities(env, policy, logger)),
    // Runs write their record in the durable run history (GET /runs) through the metadata database.
    ...(setup.site ? {} : runHistoryActivities(openMetadata, env.DATABASE_URL, logger)),
  };
  const taskQueue = nodeTaskQueue(setup.taskQueue, setup.site);
  const bundle = setup.workflowBundle;
  if (!setup.site && setup.dataConverter?.failureConverterPath && bundle && 'code' in bundle && !bundleEncodesFailures(bundle.code)) {
    throw new Error('payload keys are set but the workflow bundle was built without the encoding failure converter: build it with the same data converter');
  }
  const worker = await Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue,
    activities,
    ...(setup.site ? {} : setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath }),
    // Nodes heartbeat every second; sending as often lets a pause reach them within a second.
    maxHeartbeatThrottleInterval: HEARTBEAT_MS,
    defaultHeartbeatThrottleInterval: HEARTBEAT_MS,
    // On SIGTERM, running nodes are asked to stop at a batch boundary and hand back a checkpoint.
    shutdownGraceTime: '30s',
    identity: `sluice-${setup.site ? `site-${setup.site}` : CENTRAL}@${process.pid}`,
    ...(setup.dataConverter ? { dataConverter: setup.dataConverter } : {}),
    ...(setup.tracer ? { interceptors: { activity: [activityTracing(setup.tracer)] } } : {}),
  });
  const active = () => !['STOPPED', 'FAILED'].includes(worker.getState());
  // Each worker expires old runs from its own store (SLUICE_STAGING_RETENTION), now and periodically.
  startStagingSweeper(staging, { retentionMs: stagingEnv.retentionMs, log: logger, active });
  // The workflow upserts SluicePipeline and SluiceStatus: its tasks fail while the server lacks them
  // (an in-memory dev server that restarted), so a central worker puts them back.
  const checkMs = setup.searchAttributeCheckMs ?? SEARCH_ATTRIBUTE_CHECK_MS;
  if (!setup.site && checkMs > 0) {
    keepSearchAttributesRegistered(setup.connection, setup.namespace, {
      intervalMs: checkMs,
      active,
      onRegistered: (added) => logger.warn({ added }, 'Temporal had lost the search attributes; registered them again'),
      onError: (err) => logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not check the search attributes'),
    });
  }
  return worker;
}
