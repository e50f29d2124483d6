// Reading a source node directly, as the engine would but without Temporal (connector tests).
import type { SourceBatch, SourceContext } from '../../src/kit/contract.js';
import { createLogger } from '../../src/log.js';
import { testAccess } from './access.js';

/** What a source node gets from the engine, for reading it directly (no Temporal). */
export function sourceContext(cursor?: unknown, signal: AbortSignal = new AbortController().signal): SourceContext {
  return { runId: 'r', pipeline: 'p', nodeId: 'n', attempt: 1, log: createLogger('silent'), signal, access: testAccess, cursor, state: undefined, setState: () => undefined };
}

/** Every batch a source's read yields. */
export async function allBatches(batches: AsyncIterable<SourceBatch>): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

/** The error `p` rejects with (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}
