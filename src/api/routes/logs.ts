// Node attempts' log lines: workers send them (POST /api/v1/ingest/logs, with a site key), callers
// read a run's lines (GET /api/v1/runs/{id}/logs) or follow them as server-sent events (?follow=1).
import express, { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { z } from 'zod';
import { MAX_LOG_BODY_BYTES, MAX_LOG_FOLLOWERS } from '../../dag/limits.js';
import { placeOf } from '../../dag/vocabulary.js';
import { SLUICE_PIPELINE } from '../../workflows/messages.js';
import type { StoredLogLine } from '../../store/logs.js';
import type { Store } from '../../store/types.js';
import type { Logger } from '../../log.js';
import { authorize, principalOf, requireScope, setTarget } from '../auth/middleware.js';
import { optionalJsonBody } from '../body.js';
import type { AppDeps } from '../deps.js';
import { ApiError, UnavailableError, type FieldError } from '../errors.js';
import { ingestLogsBody, runLogsQuery, type ingestLogsResponse, type logPlace, type runLogsResponse } from '../log-schemas.js';
import { methodNotAllowed } from '../problem.js';
import { describeRun, type DescribedRun } from '../runs/describe.js';
import type { RunMemo } from '../runs/view.js';
import { runIdParams } from '../schemas.js';

/** How often a follower looks for new lines, and at most how many it sends per look. */
const FOLLOW_POLL_MS = 500;
const FOLLOW_BATCH = 500;
/** How often a follower asks Temporal whether the run closed. */
const FOLLOW_STATUS_MS = 2_000;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;
/** Quiet looks after the run closed before the stream ends: lines a worker still sends get through. */
const QUIET_LOOKS_AFTER_CLOSE = 3;
/** Runs whose node places this process remembers (a spec never changes within a run). */
const PLACES_CACHED = 2_000;

/** Where each node of a run runs (`central` or its site), from the pipeline version the run recorded. */
async function nodePlaces(store: Store, described: DescribedRun): Promise<Map<string, string> | null> {
  const memo = (described.desc.memo ?? {}) as Partial<RunMemo>;
  if (typeof memo.pipeline !== 'string' || typeof memo.version !== 'number') return null;
  const pv = await store.getPipeline(memo.pipeline, memo.version);
  if (!pv) return null;
  return new Map(pv.spec.nodes.map((n) => [n.id, placeOf(n.site)]));
}

/** A mapped node's instance (`extract[3]`) runs where its node does. */
function baseNodeId(nodeId: string): string {
  const at = nodeId.indexOf('[');
  return at < 0 ? nodeId : nodeId.slice(0, at);
}

function placesOf(store: Store, byNode: Map<string, string> | null): Promise<z.infer<typeof logPlace>[]> {
  const groups = new Map<string, string[]>();
  for (const [node, place] of byNode ?? []) groups.set(place, [...(groups.get(place) ?? []), node]);
  return store.logSites([...groups.keys()]).then((heard) =>
    [...groups].map(([site, nodes]) => {
      const status = heard.find((h) => h.site === site);
      const who = site === 'central' ? 'the central workers' : `site ${site}`;
      const note = !status
        ? `no worker of ${who} has sent logs here: they are in the output of ${who === 'the central workers' ? 'those workers' : 'its workers'} (set SLUICE_API_URL and SLUICE_LOG_KEY there to ship them)`
        : status.shipping
          ? `shipped here by ${who}`
          : `${who} keeps its logs on its own workers: its policy turns shipping off (logs.ship: false)`;
      return { site, nodes, shipping: !status ? 'unknown' : status.shipping ? 'on' : 'off', lastHeardAt: status?.seenAt.toISOString() ?? null, note } as const;
    }),
  );
}

function isClosed(described: DescribedRun): boolean {
  return described.desc.status.name !== 'RUNNING';
}

export function logsRouter({ store, client, logger }: AppDeps): Router {
  const router = Router();
  const placeCache = new Map<string, Map<string, string>>();
  let followers = 0;

  /** The places of a run's nodes for ingest checks; null when the run is unknown. */
  const placesForIngest = async (runId: string): Promise<Map<string, string> | null> => {
    const cached = placeCache.get(runId);
    if (cached) return cached;
    let described: DescribedRun;
    try {
      described = await describeRun(client, runId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || (err as Error).name === 'NotFoundError') return null;
      throw err;
    }
    const places = await nodePlaces(store, described);
    if (!places) return null;
    if (placeCache.size >= PLACES_CACHED) placeCache.delete(placeCache.keys().next().value!);
    placeCache.set(runId, places);
    return places;
  };

  router
    .route('/ingest/logs')
    .post(authorize('log.ingest'), express.json({ limit: MAX_LOG_BODY_BYTES, strict: true }), async (req, res) => {
      const body = ingestLogsBody.parse(optionalJsonBody(req));
      const p = principalOf(res);
      setTarget(res, `site ${body.site}`);
      if (p.site !== undefined && p.site !== body.site) {
        throw new ApiError(403, 'forbidden', 'Forbidden', `key ${p.id} may only send the log lines of site ${p.site}`, [{ path: 'site', message: `not this key's site (${p.site})` }]);
      }
      const otherSite = (site: string) =>
        new ApiError(403, 'forbidden', 'Forbidden', `source ${body.source} sends the lines of site ${site}`, [{ path: 'source', message: `belongs to site ${site}` }]);
      if (!body.shipping) {
        const outcome = await store.announceLogShipping(body.source, body.site, false);
        if ('otherSite' in outcome) throw otherSite(outcome.otherSite);
        const answer: z.infer<typeof ingestLogsResponse> = { stored: 0, duplicates: 0 };
        res.json(answer);
        return;
      }
      // Every line must belong to a node of this site in a run Temporal knows.
      const runs = new Map<string, Map<string, string> | null>();
      for (const runId of new Set(body.lines.map((l) => l.runId))) runs.set(runId, await placesForIngest(runId));
      const refused: FieldError[] = [];
      body.lines.forEach((line, i) => {
        const places = runs.get(line.runId);
        if (!places) return refused.push({ path: `lines[${i}].runId`, message: `no run ${line.runId}` });
        const place = places.get(baseNodeId(line.nodeId));
        if (place === undefined) return refused.push({ path: `lines[${i}].nodeId`, message: `run ${line.runId} has no node ${line.nodeId}` });
        if (place !== body.site) return refused.push({ path: `lines[${i}].nodeId`, message: `node ${line.nodeId} of run ${line.runId} runs on ${place === 'central' ? 'the central workers' : `site ${place}`}, not ${body.site}` });
        return undefined;
      });
      if (refused.length > 0) {
        throw new ApiError(422, 'refused-lines', 'Refused log lines', `${refused.length} of ${body.lines.length} lines are not this site's to send; send the batch again without them`, refused);
      }
      const outcome = await store.ingestLogs(body.source, body.site, body.lines);
      if ('otherSite' in outcome) throw otherSite(outcome.otherSite);
      const answer: z.infer<typeof ingestLogsResponse> = outcome;
      res.json(answer);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/runs/:runId/logs')
    .get(authorize('run.logs'), async (req, res) => {
      const { runId } = runIdParams.parse(req.params);
      const query = runLogsQuery.parse(req.query);
      // Scope first, as GET /runs/{id}: a run outside it is "not found".
      const described = await describeRun(client, runId);
      requireScope(res, described.desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '', { notFound: `run ${runId} not found` });
      const places = await placesOf(store, await nodePlaces(store, described));
      const filter = { node: query.node, minLevel: query.level };
      if (query.follow === '1' || query.follow === 'true') {
        if (followers >= MAX_LOG_FOLLOWERS) throw new UnavailableError(`this API process already streams ${MAX_LOG_FOLLOWERS} logs; try again shortly or read pages without follow`);
        followers++;
        try {
          await follow(res, { store, logger, runId, described, filter, after: query.cursor ?? lastEventId(req), places });
        } finally {
          followers--;
        }
        return;
      }
      const lines = await store.readLogs(runId, { ...filter, after: query.cursor, limit: query.limit });
      const body: z.infer<typeof runLogsResponse> = { runId, lines, next: lines.at(-1)?.id ?? query.cursor ?? null, places };
      res.json(body);
    })
    .all(methodNotAllowed('GET'));

  return router;
}

/** A reconnecting EventSource sends the id of the last event it got. */
function lastEventId(req: Request): string | undefined {
  const id = req.get('last-event-id');
  return id !== undefined && /^[0-9]{1,19}$/.test(id) ? id : undefined;
}

interface FollowSetup {
  store: Store;
  logger: Logger;
  runId: string;
  described: DescribedRun;
  filter: { node?: string | undefined; minLevel?: StoredLogLine['level'] | undefined };
  after: string | undefined;
  places: z.infer<typeof logPlace>[];
}

/**
 * Streams the run's lines as server-sent events (`event: line`, `id:` the line's id) until the run
 * closes and its lines stop coming, or the client goes. Every wait is a timer or a query: the event
 * loop is never held, and a slow client is waited for (`drain`) rather than buffered without bound.
 */
async function follow(res: Response, f: FollowSetup): Promise<void> {
  let gone = false;
  let wake: () => void = () => undefined;
  const onClose = () => {
    gone = true;
    wake();
  };
  res.on('close', onClose);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let lastWrite = Date.now();
  const send = async (chunk: string) => {
    lastWrite = Date.now();
    if (!res.write(chunk) && !gone) await new Promise<void>((resolve) => {
      res.once('drain', resolve);
      wake = resolve;
    });
  };

  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  let after = f.after;
  let closed = isClosed(f.described);
  let status = f.described.desc.status.name;
  let checkedAt = Date.now();
  let quiet = 0;
  try {
    await send(`retry: 2000\nevent: places\ndata: ${JSON.stringify(f.places)}\n\n`);
    while (!gone) {
      const lines = await f.store.readLogs(f.runId, { ...f.filter, after, limit: FOLLOW_BATCH });
      for (const line of lines) {
        if (gone) break;
        await send(`id: ${line.id}\nevent: line\ndata: ${JSON.stringify(line)}\n\n`);
        after = line.id;
      }
      if (lines.length === FOLLOW_BATCH) continue;
      if (closed) {
        quiet = lines.length === 0 ? quiet + 1 : 0;
        if (quiet >= QUIET_LOOKS_AFTER_CLOSE) break;
      } else if (Date.now() - checkedAt >= FOLLOW_STATUS_MS) {
        checkedAt = Date.now();
        const desc = await f.described.handle.describe();
        status = desc.status.name;
        closed = status !== 'RUNNING';
      }
      if (Date.now() - lastWrite >= KEEP_ALIVE_MS) await send(': keep-alive\n\n');
      await pause(FOLLOW_POLL_MS);
    }
    if (!gone) await send(`event: end\ndata: ${JSON.stringify({ status: status.toLowerCase(), next: after ?? null })}\n\n`);
  } catch (err) {
    // Headers are out: say so in the stream, and end it; the client may reconnect from the last id.
    if (!gone) res.write(`event: error\ndata: ${JSON.stringify({ message: 'the log stream failed; reconnect with Last-Event-ID' })}\n\n`);
    f.logger.warn({ runId: f.runId, err: (err as Error).message }, 'log stream failed');
  } finally {
    res.off('close', onClose);
    res.end();
  }
}
