// Dataset types: the shape of records as every connector and the engine see them. A node's
// records travel between nodes as a dataset of numbered parts; only its reference leaves a worker.

/** One record: column name to value (values in the forms docs/datasets.md lists). */
export type Row = Record<string, unknown>;

/**
 * The logical column types, declared once. Sources map their own types onto these, the staging
 * store keeps each exactly (docs/datasets.md), and sinks map them back.
 */
export const COLUMN_TYPES = ['text', 'int', 'bigint', 'float', 'numeric', 'boolean', 'timestamp', 'date', 'json'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface ColumnSchema {
  name: string;
  type: ColumnType;
}

/** `avro`: any rows; `pgcopy`: the COPY text of columns whose text is their value (copy-text.ts). */
export type PartFormat = 'avro' | 'pgcopy';

/** What a node outputs for its records: a handle, never the rows themselves. */
export interface DatasetRef {
  uri: string;
  rows: number;
  bytes: number;
  parts: number;
  schema: ColumnSchema[];
  /** How the parts are encoded: Avro (the default, when absent) or PostgreSQL COPY text. */
  format?: PartFormat;
}

export function isDatasetRef(v: unknown): v is DatasetRef {
  return typeof v === 'object' && v !== null && typeof (v as DatasetRef).uri === 'string' && typeof (v as DatasetRef).parts === 'number';
}

/** Digits of a part number in every file name Sluice writes (staging parts and file sinks alike). */
export const PART_DIGITS = 6;

/** `part-000042.<extension>`: names sort in part order up to a million parts. */
export function partFileName(index: number, extension: string): string {
  return `part-${String(index).padStart(PART_DIGITS, '0')}.${extension}`;
}
