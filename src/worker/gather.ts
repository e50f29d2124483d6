// sluice.gatherMapped and sluice.sealMapped: the central activities that turn a mapped node's
// instance outputs into a dataset. Each chunk of the node writes its instances as one part (part
// number = chunk number, written atomically, so a chunk run again rewrites it); the run seals the
// dataset once every chunk has succeeded. Downstream nodes read it as any other dataset.
import type { StagingStore } from '../activities/staging.js';
import type { ColumnSchema, DatasetRef, Row } from '../kit/dataset.js';
import { GATHER_MAPPED_ACTIVITY, SEAL_MAPPED_ACTIVITY, type GatherInput, type SealMappedInput } from '../workflows/messages.js';

/** One row per item: its index in the list, the item, how its instance ended and what it output. */
export const MAPPED_SCHEMA: ColumnSchema[] = [
  { name: 'index', type: 'int' },
  { name: 'item', type: 'json' },
  { name: 'state', type: 'text' },
  { name: 'attempt', type: 'int' },
  { name: 'outputs', type: 'json' },
  { name: 'error', type: 'text' },
  { name: 'rows_in', type: 'bigint' },
  { name: 'rows_out', type: 'bigint' },
];

export function gatherActivities(staging: StagingStore): {
  [GATHER_MAPPED_ACTIVITY]: (input: GatherInput) => Promise<{ rows: number; bytes: number }>;
  [SEAL_MAPPED_ACTIVITY]: (input: SealMappedInput) => Promise<DatasetRef>;
} {
  return {
    [GATHER_MAPPED_ACTIVITY]: async (input) => {
      const rows: Row[] = input.instances.map((x, i) => ({
        index: input.first + i,
        item: x.item ?? null,
        state: x.state,
        attempt: x.attempt,
        outputs: x.outputs,
        error: x.error,
        rows_in: String(x.stats.rowsIn),
        rows_out: String(x.stats.rowsOut),
      }));
      const bytes = await staging.writePart(staging.datasetDir(input.runId, input.nodeId), input.chunk, rows, MAPPED_SCHEMA);
      return { rows: rows.length, bytes };
    },
    [SEAL_MAPPED_ACTIVITY]: async (input) =>
      staging.seal(staging.datasetDir(input.runId, input.nodeId), { rows: input.rows, bytes: input.bytes, parts: input.parts, schema: MAPPED_SCHEMA }),
  };
}
