// Failure messages and stack traces are plain text in Temporal history unless the failure
// converter moves them into an encoded attributes payload, which the payload codec then encrypts.
// Loaded by path (DataConverter.failureConverterPath) in each worker's main thread, in the clients,
// and inside the workflow sandbox, where it is bundled with the workflow code: so it imports only
// @temporalio/common. A failure's type (ApplicationFailure.type) and its kind stay readable, so
// workflow code and retry policies that look at types work as before.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
