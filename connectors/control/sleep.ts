// control.sleep: waits `ms`, heartbeating; a pause hands back the time still to wait.
import type { TaskContext, TaskOutcome } from '../../src/kit/index.js';
import type { ControlSleepConfig } from './schema.js';

const TICK_MS = 100;

export async function sleep(config: ControlSleepConfig, ctx: TaskContext): Promise<TaskOutcome> {
  const saved = ctx.checkpoint as { remainingMs?: number } | undefined;
  let remaining = typeof saved?.remainingMs === 'number' ? saved.remainingMs : config.ms;
  let last = Date.now();
  while (remaining > 0) {
    if (ctx.stopRequested()) return { paused: true, checkpoint: { remainingMs: remaining } };
    await new Promise((resolve) => setTimeout(resolve, Math.min(TICK_MS, remaining)));
    const t = Date.now();
    remaining = Math.max(0, remaining - (t - last));
    last = t;
    ctx.commit({ remainingMs: remaining });
  }
  return { outputs: { sleptMs: config.ms } };
}
