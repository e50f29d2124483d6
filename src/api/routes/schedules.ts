// /api/v1/pipelines/:name/schedules and /api/v1/schedules: schedules that start runs of a pipeline,
// kept as Temporal Schedules (the Temporal Web UI's Schedules page shows them). The API holds no
// schedule state of its own: every answer is read from Temporal.
import express, { Router, type Response } from 'express';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { z } from 'zod';
import { MAX_BACKFILL_RUNS, MAX_RUN_BODY_BYTES } from '../../dag/limits.js';
import { SLUICE_PIPELINE, WORKFLOW_TYPE } from '../../workflows/messages.js';
import { authorize, principalOf, requireScope, setTarget } from '../auth/middleware.js';
import { inScope } from '../auth/roles.js';
import { optionalJsonBody } from '../body.js';
import type { AppDeps } from '../deps.js';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import { methodNotAllowed } from '../problem.js';
import { resolveParams } from '../runs/params.js';
import { quote } from '../runs/visibility.js';
import {
  backfillTimes,
  newScheduleId,
  pipelineOf,
  scheduleAction,
  scheduleNotFound,
  scheduleSpec,
  scheduleView,
  specRefusal,
  temporalOverlap,
  type ScheduledRunMemo,
} from '../schedules/temporal.js';
import {
  backfillScheduleBody,
  createScheduleBody,
  listSchedulesQuery,
  pauseScheduleBody,
  pipelineParams,
  scheduleIdParams,
  triggerScheduleBody,
  updateScheduleBody,
  type backfillResponse,
  type scheduleActionResponse,
  type scheduleListResponse,
  type ScheduleView,
} from '../schemas.js';

/** Backfills reach back no further than the Unix epoch (Temporal's timestamps start there). */
const EPOCH = '1970-01-01T00:00:00Z';

interface FoundSchedule {
  handle: ScheduleHandle;
  desc: ScheduleDescription;
  pipeline: string;
}

export function schedulesRouter({ store, client, taskQueue }: AppDeps): Router {
  const router = Router();
  const jsonBody = express.json({ limit: MAX_RUN_BODY_BYTES, strict: true });

  /** A Sluice schedule in the caller's scope; anything else (unknown, not Sluice's, another team's) is the same 404. */
  async function find(res: Response, id: string): Promise<FoundSchedule> {
    const handle = client.schedule.getHandle(id);
    let desc: ScheduleDescription;
    try {
      desc = await handle.describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw scheduleNotFound(id);
      throw err;
    }
    const pipeline = pipelineOf(desc);
    if (pipeline === null) throw scheduleNotFound(id);
    requireScope(res, pipeline, { notFound: `schedule ${id} not found` });
    return { handle, desc, pipeline };
  }

  /** Runs `fn` on the schedule; one deleted meanwhile is a 404. */
  async function onSchedule<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw scheduleNotFound(id);
      throw err;
    }
  }

  const describeView = async (found: FoundSchedule): Promise<ScheduleView> =>
    scheduleView(await onSchedule(found.desc.scheduleId, () => found.handle.describe()), found.pipeline);

  router
    .route('/pipelines/:name/schedules')
    .post(authorize('schedule.create'), jsonBody, async (req, res) => {
      const { name } = pipelineParams.parse(req.params);
      setTarget(res, `pipeline ${name}`);
      requireScope(res, name, { notFound: `pipeline ${name} not found` });
      const body = createScheduleBody.parse(optionalJsonBody(req));
      const pv = await store.getPipeline(name, body.version);
      if (!pv) throw new NotFoundError(body.version === undefined ? `pipeline ${name} not found` : `pipeline ${name} has no version ${body.version}`);
      const params = resolveParams(pv.spec.params, body.params);
      const id = body.id ?? newScheduleId(name);
      setTarget(res, `schedule ${id}`);
      let handle: ScheduleHandle;
      try {
        handle = await client.schedule.create({
          scheduleId: id,
          spec: scheduleSpec({ cron: body.cron, intervalMs: body.interval, timezone: body.timezone ?? 'UTC' }),
          action: scheduleAction(id, pv, params, taskQueue, body.cron),
          policies: { overlap: temporalOverlap(body.overlap), ...(body.catchupWindow !== undefined ? { catchupWindow: body.catchupWindow } : {}) },
          state: { paused: body.paused ?? false, ...(body.note ? { note: body.note } : {}) },
          memo: { pipeline: name },
          typedSearchAttributes: [{ key: SLUICE_PIPELINE, value: name }],
        });
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning) throw new ConflictError(`schedule ${id} already exists`);
        throw specRefusal(err, body) ?? err;
      }
      const view = scheduleView(await handle.describe(), name);
      res.status(201).location(`/api/v1/schedules/${encodeURIComponent(id)}`).json(view);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/schedules')
    .get(authorize('schedule.list'), async (req, res) => {
      const q = listSchedulesQuery.parse(req.query);
      const principal = principalOf(res);
      if (q.pipeline !== undefined) requireScope(res, q.pipeline, { notFound: `pipeline ${q.pipeline} not found` });
      const within = principal.pipelines === null ? undefined : (await store.listPipelines()).map((p) => p.name).filter((n) => inScope(principal, n));
      const clauses: string[] = [];
      if (q.pipeline !== undefined) clauses.push(`${SLUICE_PIPELINE.name} = ${quote(q.pipeline)}`);
      if (within !== undefined) clauses.push(`${SLUICE_PIPELINE.name} IN (${within.map(quote).join(', ')})`);
      const ids: string[] = [];
      if (within?.length !== 0) {
        // Listing is eventually consistent and its summaries lack params and cron text: each is described.
        for await (const s of client.schedule.list({ pageSize: q.limit, ...(clauses.length ? { query: clauses.join(' AND ') } : {}) })) {
          if (s.action?.workflowType !== WORKFLOW_TYPE) continue;
          ids.push(s.scheduleId);
          if (ids.length >= q.limit) break;
        }
      }
      const views = await Promise.all(
        ids.map(async (id) => {
          try {
            const desc = await client.schedule.getHandle(id).describe();
            const pipeline = pipelineOf(desc);
            return pipeline !== null && inScope(principal, pipeline) && (q.pipeline === undefined || pipeline === q.pipeline) ? scheduleView(desc, pipeline) : null;
          } catch (err) {
            if (err instanceof ScheduleNotFoundError) return null; // deleted since it was listed
            throw err;
          }
        }),
      );
      const body: z.infer<typeof scheduleListResponse> = { schedules: views.filter((v): v is ScheduleView => v !== null).sort((a, b) => a.id.localeCompare(b.id)) };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/schedules/:id')
    .get(authorize('schedule.read'), async (req, res) => {
      const { id } = scheduleIdParams.parse(req.params);
      const found = await find(res, id);
      res.json(scheduleView(found.desc, found.pipeline));
    })
    .patch(authorize('schedule.update'), jsonBody, async (req, res) => {
      const { id } = scheduleIdParams.parse(req.params);
      setTarget(res, `schedule ${id}`);
      const body = updateScheduleBody.parse(optionalJsonBody(req));
      const found = await find(res, id);
      const current = scheduleView(found.desc, found.pipeline);
      // A new version or new params rebuild the action; the params are checked against the version the runs will use.
      let rebuilt: { pv: NonNullable<Awaited<ReturnType<typeof store.getPipeline>>>; params: Record<string, unknown> } | null = null;
      if (body.version !== undefined || body.params !== undefined) {
        const version = body.version === 'latest' ? undefined : (body.version ?? current.version ?? undefined);
        const pv = await store.getPipeline(found.pipeline, version);
        if (!pv) throw new BadRequestError(`pipeline ${found.pipeline} has no version ${version}`, [{ path: 'version', message: `pipeline ${found.pipeline} has no version ${version}` }]);
        rebuilt = { pv, params: resolveParams(pv.spec.params, body.params ?? current.params) };
      }
      const priorCron = (found.desc.action.memo as Partial<ScheduledRunMemo> | undefined)?.cron;
      const cron = body.cron ?? (body.interval !== undefined ? undefined : priorCron);
      try {
        await onSchedule(id, () =>
          found.handle.update<Workflow>((prev) => {
            const memo = { ...(prev.action.memo ?? {}) } as Record<string, unknown>;
            delete memo.cron;
            const action = rebuilt
              ? scheduleAction(id, rebuilt.pv, rebuilt.params, prev.action.taskQueue, cron)
              : { ...prev.action, memo: { ...memo, ...(cron !== undefined ? { cron } : {}) } };
            const timezone = body.timezone ?? (prev.spec.timezone || 'UTC');
            const spec =
              body.cron !== undefined || body.interval !== undefined
                ? scheduleSpec({ cron: body.cron, intervalMs: body.interval, timezone })
                : { ...prev.spec, timezone };
            return {
              spec,
              action,
              policies: {
                ...prev.policies,
                ...(body.overlap !== undefined ? { overlap: temporalOverlap(body.overlap) } : {}),
                ...(body.catchupWindow !== undefined ? { catchupWindow: body.catchupWindow } : {}),
              },
              state: { ...prev.state, ...(body.paused !== undefined ? { paused: body.paused } : {}), ...(body.note !== undefined ? { note: body.note } : {}) },
              typedSearchAttributes: prev.typedSearchAttributes,
            };
          }),
        );
      } catch (err) {
        throw specRefusal(err, body) ?? err;
      }
      res.json(await describeView(found));
    })
    .delete(authorize('schedule.delete'), async (req, res) => {
      const { id } = scheduleIdParams.parse(req.params);
      setTarget(res, `schedule ${id}`);
      const found = await find(res, id);
      await onSchedule(id, () => found.handle.delete());
      // The schedule as it was; the runs it started go on.
      res.json(scheduleView(found.desc, found.pipeline));
    })
    .all(methodNotAllowed('GET', 'PATCH', 'DELETE'));

  const pauseOrUnpause = (requested: 'pause' | 'unpause') =>
    router
      .route(`/schedules/:id/${requested}`)
      .post(authorize(`schedule.${requested}`), jsonBody, async (req, res) => {
        const { id } = scheduleIdParams.parse(req.params);
        setTarget(res, `schedule ${id}`);
        const body = pauseScheduleBody.parse(optionalJsonBody(req));
        const found = await find(res, id);
        const who = principalOf(res).name ?? principalOf(res).id ?? 'anonymous';
        const note = body.note ?? `${requested}d through the Sluice API by ${who}`;
        await onSchedule(id, () => (requested === 'pause' ? found.handle.pause(note) : found.handle.unpause(note)));
        const answer: z.infer<typeof scheduleActionResponse> = { id, requested };
        res.json(answer);
      })
      .all(methodNotAllowed('POST'));
  pauseOrUnpause('pause');
  pauseOrUnpause('unpause');

  router
    .route('/schedules/:id/trigger')
    .post(authorize('schedule.trigger'), jsonBody, async (req, res) => {
      const { id } = scheduleIdParams.parse(req.params);
      setTarget(res, `schedule ${id}`);
      const body = triggerScheduleBody.parse(optionalJsonBody(req));
      const found = await find(res, id);
      await onSchedule(id, () => found.handle.trigger(temporalOverlap(body.overlap ?? 'allow_all')));
      const answer: z.infer<typeof scheduleActionResponse> = { id, requested: 'trigger' };
      res.status(202).json(answer);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/schedules/:id/backfill')
    .post(authorize('schedule.backfill'), jsonBody, async (req, res) => {
      const { id } = scheduleIdParams.parse(req.params);
      setTarget(res, `schedule ${id}`);
      const body = backfillScheduleBody.parse(optionalJsonBody(req));
      const from = new Date(body.from);
      const to = new Date(body.to);
      if (from.getTime() < Date.parse(EPOCH)) throw new BadRequestError('the backfill range is invalid', [{ path: 'from', message: `must not be before ${EPOCH}` }]);
      if (to.getTime() > Date.now()) throw new BadRequestError('the backfill range is invalid', [{ path: 'to', message: 'a backfill covers past times: must not be later than now' }]);
      const found = await find(res, id);
      const times = await onSchedule(id, () => backfillTimes(client, id, from, to));
      if (times.length > MAX_BACKFILL_RUNS) {
        throw new BadRequestError('the backfill range is too large', [
          { path: 'from', message: `the range holds ${times.length >= 1000 ? 'at least 1000' : times.length} runs of this schedule; a backfill starts at most ${MAX_BACKFILL_RUNS}: split the range` },
        ]);
      }
      const overlap = body.overlap ?? 'buffer_all';
      if (times.length > 0) await onSchedule(id, () => found.handle.backfill({ start: from, end: to, overlap: temporalOverlap(overlap) }));
      const answer: z.infer<typeof backfillResponse> = {
        id,
        requested: 'backfill',
        from: from.toISOString(),
        to: to.toISOString(),
        overlap,
        runs: times.length,
        scheduledTimes: times.map((t) => t.toISOString()),
      };
      res.status(202).json(answer);
    })
    .all(methodNotAllowed('POST'));

  return router;
}
