// Reads the first records of a node's dead-letter dataset (`<run>/<node>/_rejected`, written by
// dead-letter.ts) from a staging store: the central worker's activity behind
// GET /runs/{id}/nodes/{node}/rejected, and `sluice rejected` on a site's own host.
import type { StagingStore } from './staging.js';
import type { Row } from '../kit/dataset.js';
import type { RejectedRecord, RejectedSampleInput, RejectedSampleResult } from '../workflows/messages.js';

/** Parts a read of an unsealed dataset looks at before it stops (each part holds at least one record). */
const MAX_PARTS_READ = 1_000;

function toRecord(row: Row): RejectedRecord {
  return { reason: String(row.reason ?? ''), position: String(row.position ?? ''), record: row.record ?? null };
}

/** The first `input.limit` rejected records of the node, where `input.source` says they are. */
export async function readRejectedSample(staging: StagingStore, input: RejectedSampleInput): Promise<RejectedSampleResult> {
  const location = staging.datasetDir(input.runId, input.nodeId, '_rejected');
  const source = input.source;
  if (source.kind === 'ref') {
    const { ref } = source;
    const records: RejectedRecord[] = [];
    for (let i = 0; i < ref.parts && records.length < input.limit; i++) {
      const rows = await staging.readPartIfAny(ref.uri, i, ref.format ?? 'avro');
      if (rows === null) return { records: [], total: ref.rows, more: false, gone: `part ${i} of ${ref.uri} is missing: it was removed (staging retention) or never completely written` };
      records.push(...rows.slice(0, input.limit - records.length).map(toRecord));
    }
    return { records, total: ref.rows, more: records.length < ref.rows };
  }
  if (source.kind === 'seal') {
    const sealed = await staging.readSeal(location);
    if (sealed) return readRejectedSample(staging, { ...input, source: { kind: 'ref', ref: sealed } });
  }
  // Unsealed: the parts written so far, in order, until one is missing.
  const upTo = source.kind === 'parts' ? source.upTo : Number.POSITIVE_INFINITY;
  const want = Math.min(input.limit, upTo);
  const records: RejectedRecord[] = [];
  let i = 0;
  let more = false;
  for (; i < MAX_PARTS_READ; i++) {
    const rows = await staging.readPartIfAny(location, i);
    if (rows === null) break;
    const room = want - records.length;
    records.push(...rows.slice(0, room).map(toRecord));
    if (rows.length > room || records.length >= want) {
      more = rows.length > room ? records.length < upTo : (await staging.readPartIfAny(location, i + 1)) !== null && records.length < upTo;
      break;
    }
  }
  const exhausted = !more;
  return { records, total: source.kind === 'parts' ? source.upTo : exhausted ? records.length : null, more };
}
