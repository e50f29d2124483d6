// `sluice rejected RUN NODE`: reads a node's rejected records from this host's staging store, with
// the worker's own configuration. A site's bad records never leave it (the API answers with where
// they are), so the site's operator reads them here, on a host of the site.
import path from 'node:path';
import { readRejectedSample } from '../activities/rejected-sample.js';
import { checkSegment } from '../activities/staging/backend.js';
import { createStagingStore, stagingSettings } from '../activities/staging/from-env.js';

/** The sample as JSON on stdout; `env` as the worker has it (SLUICE_STAGING_DIR or SLUICE_STAGING_URL and the S3 settings). */
export async function rejectedCommand(runId: string, nodeId: string, opts: { limit?: number }, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  checkSegment(runId);
  checkSegment(nodeId);
  const limit = opts.limit ?? 20;
  if (limit > 10_000) throw new Error('--limit: must be at most 10000');
  const stagingDir = env.SLUICE_STAGING_DIR ?? path.join('.sluice', 'staging');
  const staging = createStagingStore(stagingDir, stagingSettings(env));
  try {
    const location = staging.datasetDir(runId, nodeId, '_rejected');
    // Its seal when the node finished; else the parts written so far (a running or failed node).
    const sample = await readRejectedSample(staging, { runId, nodeId, limit, source: { kind: 'seal' } });
    if (sample.gone) throw new Error(`the rejected records of node ${nodeId} are no longer in ${location}: ${sample.gone}`);
    const truncated = sample.total === null ? sample.more : sample.records.length < sample.total;
    console.log(JSON.stringify({ runId, nodeId, location, total: sample.total, records: sample.records, truncated }, null, 2));
  } finally {
    staging.close();
  }
}
