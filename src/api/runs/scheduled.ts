// Which schedule started a run, and for what time: the search attributes Temporal sets on every run
// a schedule starts (by its spec, a trigger or a backfill). Runs started by hand have neither.
import type { TypedSearchAttributes } from '@temporalio/common';
import { TEMPORAL_SCHEDULED_BY_ID, TEMPORAL_SCHEDULED_START_TIME } from '../../workflows/messages.js';

export interface ScheduleFacts {
  scheduleId: string | null;
  /** ISO 8601; null for a run started by hand. */
  scheduledAt: string | null;
}

export function scheduleFacts(attributes: TypedSearchAttributes | undefined): ScheduleFacts {
  const id = attributes?.get(TEMPORAL_SCHEDULED_BY_ID);
  const at = attributes?.get(TEMPORAL_SCHEDULED_START_TIME);
  return {
    scheduleId: typeof id === 'string' && id !== '' ? id : null,
    scheduledAt: at instanceof Date && Number.isFinite(at.getTime()) ? at.toISOString() : null,
  };
}
