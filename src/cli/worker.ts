// `sluice worker [--site NAME]`: a long-running worker, configured by the environment.
import { Connection } from '@temporalio/client';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { bundleInChildProcess } from '../worker/bundle.js';
import { createWorker } from '../worker/create.js';
import { loadPolicy } from '../worker/policy.js';
import { installRuntime } from '../worker/runtime.js';
import { serveMetrics, WorkerMetrics } from '../worker/metrics.js';
import { startTracing } from '../tracing.js';
import { connectClient, connectWorker } from '../../temporal/connection.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { placeOf } from '../dag/vocabulary.js';
import { payloadDataConverter } from '../codec/data-converter.js';
import { startLogShipping } from '../worker/logs/from-env.js';

export async function runWorker(site: string | undefined, policyFile?: string, metricsPortOption?: number): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL).child({ site: placeOf(site) });
  // A bad policy stops the worker here, before it polls, with the path of the error.
  const file = policyFile ?? config.SLUICE_WORKER_POLICY;
  const policy = loadPolicy({ file, site, dataDir: config.SLUICE_DATA_DIR, stagingDir: config.SLUICE_STAGING_DIR });
  logger.info({ policy: file ?? 'built-in defaults', secrets: policy.secrets ?? 'any but the worker\'s own', files: policy.files, egress: policy.egress === null ? 'any but metadata' : policy.egress.length, nodeTypes: policy.nodeTypes ?? 'all' }, 'site policy');
  // Metrics: ours at /metrics on the metrics port, the SDK's (task slots, polls, latencies) folded in from its own exporter.
  const metricsPort = metricsPortOption ?? config.SLUICE_METRICS_PORT;
  const sdkMetricsAddress = metricsPort === undefined ? undefined : `127.0.0.1:${config.SLUICE_SDK_METRICS_PORT ?? metricsPort + 1}`;
  installRuntime(logger, sdkMetricsAddress ? { sdkMetricsAddress } : {});
  const tracing = startTracing(`sluice-worker${site ? `-${site}` : ''}`, process.env, logger);
  const metrics = metricsPort === undefined ? undefined : new WorkerMetrics();
  const metricsServer = metrics && sdkMetricsAddress ? await serveMetrics(metrics.registry, metricsPort!, config.SLUICE_METRICS_HOST, logger, `http://${sdkMetricsAddress}/metrics`) : undefined;
  const admin: Connection = await connectClient(config);
  const added = await ensureSearchAttributes(admin, config.TEMPORAL_NAMESPACE);
  if (added.length) logger.info({ added }, 'registered search attributes');
  await admin.close();
  const connection = await connectWorker(config);
  // The SDK's runtime also handles these signals and shuts the worker down; aborting `drain`
  // first makes running nodes stop at their next batch boundary instead of after the grace time.
  const drain = new AbortController();
  const dataConverter = payloadDataConverter(config.SLUICE_PAYLOAD_KEYS);
  if (dataConverter) logger.info({ keys: config.SLUICE_PAYLOAD_KEYS }, 'payloads are encrypted');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => drain.abort());
  const logShipper = await startLogShipping(config, site, policy, logger);
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.SLUICE_TASK_QUEUE,
    ...(site ? { site } : {}),
    stagingDir: config.SLUICE_STAGING_DIR,
    policy,
    logger,
    drain: drain.signal,
    ...(metrics ? { metrics } : {}),
    ...(tracing ? { tracer: tracing.tracer } : {}),
    ...(logShipper ? { logShipper } : {}),
    ...(dataConverter ? { dataConverter } : {}),
    ...(site ? {} : { workflowBundle: await bundleInChildProcess(dataConverter) }),
  });
  logger.info({ taskQueue: worker.options.taskQueue, address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }, 'worker polling');
  await worker.run();
  // Lines not sent yet wait in the spool for the next start.
  await logShipper?.close();
  await connection.close();
  metricsServer?.close();
  await tracing?.shutdown();
  logger.info('worker stopped');
}
