// The connector kit: everything a connector may use, and the only part of Sluice a connector
// imports (a test holds the layering). The engine builds on the same types, so what a connector
// declares here is what the engine runs. Shared file-format code for file connectors is in files/.
export {
  sink,
  source,
  task,
  transform,
  type AnyNodeType,
  type BadRecord,
  type ColumnStep,
  type Connector,
  type ConnectorContext,
  type CopyChunk,
  type CopyPart,
  type PreparedTransform,
  type SinkContext,
  type SinkNodeType,
  type SinkWriter,
  type SourceBatch,
  type SourceContext,
  type SourceNodeType,
  type TaskContext,
  type TaskNodeType,
  type TaskOutcome,
  type TransformNodeType,
} from './contract.js';
export { ConfigError, DataError, PolicyError } from './errors.js';
export { accessFor, type Access, type SitePolicy } from './access.js';
export {
  COLUMN_TYPES,
  isDatasetRef,
  partFileName,
  type ColumnSchema,
  type ColumnType,
  type DatasetRef,
  type PartFormat,
  type Row,
} from './dataset.js';
export { batchSizeSchema, code, columnTypesSchema, connectionSchema, credential, CREDENTIAL_HEADER, datasetInputSchema, durationSchema, nodeIdSchema } from './config.js';
export { CopyBatcher, decodeLastRow } from './copy-text.js';
export { pgConnectionOptions, PG_CONNECT_TIMEOUT_MS, PG_KEEPALIVE_INITIAL_DELAY_MS, type PgTimeouts } from './postgres.js';
export { createS3Client, explainS3Error, isNotFound, S3_CONNECT_TIMEOUT_MS, S3_REQUEST_TIMEOUT_MS, type S3Hints, type S3Settings } from './s3.js';
export { bigintReplacer, csvField, jsonLine, jsonValue } from './text.js';
export { didYouMean } from './suggest.js';
export type { Logger } from 'pino';
