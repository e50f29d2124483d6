// Decodes what the server hands the API raw (history events, pending activities' heartbeats)
// through the client's own data converter: its codecs (payload encryption) in reverse order, then
// its payload and failure converters, so encrypted payloads and encoded failure messages read as
// the workflow saw them.
import type { Client } from '@temporalio/client';
import { ActivityFailure, type Payload, type ProtoFailure } from '@temporalio/common';
import {
  decodeFromPayloadsAtIndex,
  decodeOptionalFailureToOptionalError,
} from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';

/** The first value of a payload list; undefined when there is none. Throws when it cannot be decoded. */
export async function decodeFirst(client: Client, payloads: Payload[] | null | undefined): Promise<unknown> {
  return decodeAt(client, payloads, 0);
}

/** The value of the payload at `index` (undefined when there is none). */
export async function decodeAt(client: Client, payloads: Payload[] | null | undefined, index: number): Promise<unknown> {
  if (!payloads || payloads.length <= index) return undefined;
  return decodeFromPayloadsAtIndex(client.options.loadedDataConverter, index, payloads);
}

/** A failure as the error the SDK would raise from it (message and details decoded). Throws when it cannot be decoded. */
export async function decodeFailure(client: Client, failure: ProtoFailure | null | undefined): Promise<Error | undefined> {
  return decodeOptionalFailureToOptionalError(client.options.loadedDataConverter, failure);
}

/**
 * The message the workflow records for a node activity's failure: the cause's (the activity's own
 * error), since an ActivityFailure's own message is a generic wrapper.
 */
export function nodeFailureMessage(err: Error): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err.message;
}
