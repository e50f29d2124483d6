import { z } from 'zod';
import { datasetInputSchema } from '../common.js';

export const CAST_TYPES = ['string', 'int', 'bigint', 'float', 'numeric', 'boolean', 'json', 'timestamp'] as const;

export const transformMapConfig = z.strictObject({
  rename: z.record(z.string(), z.string().min(1)).optional(),
  drop: z.array(z.string()).optional(),
  cast: z.record(z.string(), z.enum(CAST_TYPES)).optional(),
  ...datasetInputSchema.shape,
});

export type TransformMapConfig = z.output<typeof transformMapConfig>;
