// Check 3: a retried write duplicates nothing. Attempt 1 of a run writes some or all of the
// sample's parts (and maybe finishes), then "crashes"; attempt 2, a new writer of the same run and
// node, writes every part again and finishes twice. The fixture's own reader then finds each
// sample row in the destination exactly once, with its values.
import assert from 'node:assert/strict';
import type { CopyPart, SinkNodeType, SinkWriter } from '../../src/kit/index.js';
import { copyEncodable, decodeCopyText, encodeCopyText } from '../../src/kit/copy-text.js';
import { newIdentity, nodeConfig, sinkContext, type Identity } from './context.js';
import type { SinkFixture } from './fixture.js';
import { assertSameRows, partsOf, SAMPLE_ROWS, SAMPLE_SCHEMA } from './sample.js';

const PART_ROWS = 5;
const PARTS = partsOf(SAMPLE_ROWS, PART_ROWS);

export interface RetryScenario {
  name: string;
  /** Parts attempt 1 commits before it stops. */
  firstAttempt: number;
  /** Whether attempt 1 also finished (it crashed before reporting success). */
  finished: boolean;
  /** Through `writeCopy` (COPY text parts) instead of `write`. */
  copy: boolean;
}

export const RETRY_SCENARIOS: RetryScenario[] = [
  { name: 'attempt 1 stops after 2 of 4 parts', firstAttempt: 2, finished: false, copy: false },
  { name: 'attempt 1 wrote every part and finished, but its success was lost', firstAttempt: PARTS.length, finished: true, copy: false },
  { name: 'through writeCopy, attempt 1 stops after 2 of 4 parts', firstAttempt: 2, finished: false, copy: true },
];

function copyParts(from: number, to: number): CopyPart[] {
  return PARTS.slice(from, to).map((rows, i) => {
    const index = from + i;
    const data = encodeCopyText(rows, SAMPLE_SCHEMA, `part ${index}`);
    return { index, data, rows: rows.length, decode: () => decodeCopyText(data, SAMPLE_SCHEMA, `part ${index}`) };
  });
}

async function writeParts(writer: SinkWriter, from: number, to: number, copy: boolean, what: string): Promise<void> {
  if (copy) {
    assert.ok(writer.writeCopy, `${what}: the writer has writeCopy`);
    const result = await writer.writeCopy(copyParts(from, to));
    assert.deepEqual(result.rejected ?? [], [], `${what}: no sample row is refused`);
    return;
  }
  for (let index = from; index < to; index++) {
    const result = await writer.write(index, PARTS[index]!);
    assert.deepEqual(result.rejected ?? [], [], `${what}: no sample row of part ${index} is refused`);
  }
}

/** Runs `scenario` against a fresh destination and reads it back; false when it is a writeCopy scenario and the writer has none. */
export async function assertRetryWritesOnce(type: string, node: SinkNodeType, fixture: SinkFixture, secrets: Record<string, string>, scenario: RetryScenario, dest: string): Promise<boolean> {
  assert.ok(copyEncodable(SAMPLE_SCHEMA), 'the sample dataset can be COPY text');
  const config = nodeConfig(node.config, fixture.config(dest), secrets);
  const run: Identity = newIdentity('load');
  const summary = { batches: PARTS.length, rows: SAMPLE_ROWS.length };

  const first = await node.open(config, sinkContext({ ...run, attempt: 1 }, SAMPLE_SCHEMA));
  if (scenario.copy && first.writeCopy === undefined) {
    await first.close();
    return false;
  }
  try {
    await writeParts(first, 0, scenario.firstAttempt, scenario.copy, `${type} attempt 1`);
    if (scenario.finished) await first.finish(summary);
  } finally {
    // A crashed worker would not close it; the destination cannot tell, and the test must not leak connections.
    await first.close();
  }

  const second = await node.open(config, sinkContext({ ...run, attempt: 2 }, SAMPLE_SCHEMA));
  try {
    await writeParts(second, 0, PARTS.length, scenario.copy, `${type} attempt 2`);
    await second.finish(summary);
    await second.finish(summary);
  } finally {
    await second.close();
  }
  assertSameRows(SAMPLE_SCHEMA, SAMPLE_ROWS, await fixture.readBack(dest), `${type}: ${scenario.name}, then attempt 2 wrote every part and finished twice`);
  return true;
}
