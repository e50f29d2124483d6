// The live part of a mapped node's progress: the run's workflow knows its chunks only as they end,
// so for the chunks running now the view asks each (its `chunkProgress` query) and adds what they
// have done so far to the node's counts. A chunk that does not answer in time adds nothing.
import type { Client } from '@temporalio/client';
import { chunkProgressQuery, type MapChunkResult } from '../../workflows/messages.js';
import type { NodeView } from '../schemas.js';

/** How long the view waits for the running chunks' answers (asked all at once). */
export const CHUNK_QUERY_DEADLINE_MS = 300;

export async function overlayRunningChunks(client: Client, nodes: Record<string, NodeView>): Promise<void> {
  const asks: Promise<void>[] = [];
  for (const node of Object.values(nodes)) {
    for (const workflowId of node.map?.running ?? []) {
      const deadline = Date.now() + CHUNK_QUERY_DEADLINE_MS;
      asks.push(
        client.connection
          .withDeadline(deadline, () => client.workflow.getHandle(workflowId).query(chunkProgressQuery))
          .then((chunk) => addChunk(node, chunk))
          .catch(() => undefined),
      );
    }
  }
  await Promise.all(asks);
}

function addChunk(node: NodeView, chunk: MapChunkResult): void {
  const map = node.map!;
  for (const [state, n] of Object.entries(chunk.byState)) map.byState[state as keyof typeof map.byState] = (map.byState[state as keyof typeof map.byState] ?? 0) + n;
  node.stats.rowsIn = (node.stats.rowsIn ?? 0) + chunk.rowsIn;
  node.stats.rowsOut = (node.stats.rowsOut ?? 0) + chunk.rowsOut;
}
