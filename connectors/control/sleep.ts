// control.sleep: waits `ms`, heartbeating; a pause hands back the time still to wait.
import type { NodeRunner } from '../../src/activities/context.js';
import type { ControlSleepConfig } from './schema.js';

const TICK_MS = 100;

export const sleep: NodeRunner<ControlSleepConfig> = async (ctx) => {
  const saved = ctx.checkpoint as { remainingMs?: number } | undefined;
  let remaining = typeof saved?.remainingMs === 'number' ? saved.remainingMs : ctx.config.ms;
  let last = Date.now();
  while (remaining > 0) {
    if (ctx.stopRequested()) return { paused: true, checkpoint: { remainingMs: remaining } };
    await new Promise((resolve) => setTimeout(resolve, Math.min(TICK_MS, remaining)));
    const t = Date.now();
    remaining = Math.max(0, remaining - (t - last));
    last = t;
    ctx.commit({ remainingMs: remaining });
  }
  return { outputs: { sleptMs: ctx.config.ms } };
};
