import { z } from 'zod';

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

export const controlSleepConfig = z.strictObject({
  ms: z.number().int().min(0).max(SEVEN_DAYS_MS),
});

export type ControlSleepConfig = z.output<typeof controlSleepConfig>;
