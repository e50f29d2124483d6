// The one DataConverter every Temporal client and worker of Sluice uses when payload keys are set:
// the AES-GCM codec plus the failure converter that encodes messages and stacks. Without keys
// there is none (undefined), and Temporal's defaults apply exactly as before.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { PayloadEncryptionCodec } from './codec.js';
import type { PayloadKeyring } from './keys.js';

/** Path of the failure converter module (main thread `require`, and the workflow bundle's alias). */
export const ENCODED_FAILURES_PATH = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));

/** The data converter for these keys; undefined (Temporal's defaults) without keys. */
export function payloadDataConverter(keys: PayloadKeyring | undefined): DataConverter | undefined {
  if (!keys) return undefined;
  return { payloadCodecs: [new PayloadEncryptionCodec(keys)], failureConverterPath: ENCODED_FAILURES_PATH };
}

/**
 * Whether a built workflow bundle has the encoding failure converter: a worker that encrypts must
 * not run workflow code that would write its failure messages in plain text.
 */
export function bundleEncodesFailures(code: string): boolean {
  return code.includes('codec/failure-converter');
}
