// `sluice schedules list | create | pause | unpause | trigger | backfill | delete`: schedules over the REST API.
import type { operations, Schemas } from '../api/client/index.js';

type ScheduleView = Schemas['Schedule'];
import { ApiClient, type ApiOptions } from './api-client.js';
import { paramsFor, table, type Output } from './runs.js';

type CreateBody = operations['postPipelinesNameSchedules']['requestBody']['content']['application/json'];
type Overlap = NonNullable<CreateBody['overlap']>;

const consoleOutput: Output = { out: (l) => console.log(l), err: (l) => console.error(l) };

function whenOf(s: ScheduleView): string {
  if (s.cron !== null) return `cron ${s.cron}${s.timezone === 'UTC' ? '' : ` (${s.timezone})`}`;
  return s.interval !== null ? `every ${s.interval}` : '';
}

export function schedulesTable(schedules: ScheduleView[]): string[] {
  const rows = schedules.map((s) => [s.id, s.pipeline, String(s.version ?? ''), whenOf(s), s.overlap, s.paused ? 'paused' : 'active', s.nextRunTimes[0] ?? '']);
  return table(['ID', 'PIPELINE', 'VERSION', 'WHEN', 'OVERLAP', 'STATE', 'NEXT'], rows);
}

export interface ListSchedulesOptions extends ApiOptions {
  pipeline?: string | undefined;
  limit?: number | undefined;
  json?: boolean | undefined;
}

export async function listSchedulesCommand(opts: ListSchedulesOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const query = { ...(opts.pipeline === undefined ? {} : { pipeline: opts.pipeline }), ...(opts.limit === undefined ? {} : { limit: String(opts.limit) }) };
  const { schedules } = await api.answer(api.http.GET('/api/v1/schedules', { params: { query } }));
  if (opts.json) io.out(JSON.stringify({ schedules }, null, 2));
  else if (schedules.length === 0) io.err('no schedules');
  else for (const line of schedulesTable(schedules)) io.out(line);
}

export interface CreateScheduleOptions extends ApiOptions {
  id?: string | undefined;
  cron?: string | undefined;
  interval?: string | undefined;
  overlap?: string | undefined;
  timezone?: string | undefined;
  catchupWindow?: string | undefined;
  param: string[];
  version?: number | undefined;
  paused?: boolean | undefined;
  note?: string | undefined;
}

/** A duration as the API takes it: `15m`, or milliseconds as a number. */
function duration(text: string): string | number {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** Makes a schedule; prints its id (stdout) and when it runs next (stderr). */
export async function createScheduleCommand(pipeline: string, opts: CreateScheduleOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const params = await paramsFor(api, pipeline, opts.version, opts.param);
  // What is not given is left out, so the API's own defaults and checks apply (overlap is required there).
  const body = Object.fromEntries(
    Object.entries({
      id: opts.id,
      cron: opts.cron,
      interval: opts.interval === undefined ? undefined : duration(opts.interval),
      overlap: opts.overlap,
      timezone: opts.timezone,
      catchupWindow: opts.catchupWindow === undefined ? undefined : duration(opts.catchupWindow),
      params,
      version: opts.version,
      paused: opts.paused,
      note: opts.note,
    }).filter(([, v]) => v !== undefined),
  );
  // The API checks the values and answers each wrong one at its path.
  const s = await api.answer(api.http.POST('/api/v1/pipelines/{name}/schedules', { params: { path: { name: pipeline } }, body: body as CreateBody }));
  io.out(s.id);
  io.err(`schedule ${s.id}: pipeline ${s.pipeline} version ${s.version ?? '?'}, ${whenOf(s)}, overlap ${s.overlap}${s.paused ? ', paused' : ''}`);
  if (s.nextRunTimes.length > 0) io.err(`next runs: ${s.nextRunTimes.slice(0, 3).join(', ')}`);
}

/** `pause` and `unpause` take a note; `trigger` an overlap. */
export async function scheduleActionCommand(action: 'pause' | 'unpause' | 'trigger', id: string, opts: ApiOptions & { note?: string | undefined; overlap?: string | undefined }, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const params = { path: { id } };
  const answer = await api.answer(
    action === 'trigger'
      ? api.http.POST('/api/v1/schedules/{id}/trigger', { params, body: opts.overlap === undefined ? {} : { overlap: opts.overlap as Overlap } })
      : api.http.POST(`/api/v1/schedules/{id}/${action}`, { params, body: opts.note === undefined ? {} : { note: opts.note } }),
  );
  io.out(`${answer.requested} requested for schedule ${answer.id}${action === 'trigger' ? `: a run starts now (sluice runs --schedule ${answer.id})` : ''}`);
}

export interface BackfillOptions extends ApiOptions {
  from: string;
  to: string;
  overlap?: string | undefined;
}

export async function backfillCommand(id: string, opts: BackfillOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const body = { from: opts.from, to: opts.to, ...(opts.overlap === undefined ? {} : { overlap: opts.overlap as Overlap }) };
  const answer = await api.answer(api.http.POST('/api/v1/schedules/{id}/backfill', { params: { path: { id } }, body }));
  io.out(`backfill of schedule ${answer.id} from ${answer.from} to ${answer.to}: ${answer.runs} run${answer.runs === 1 ? '' : 's'} (overlap ${answer.overlap})`);
  for (const t of answer.scheduledTimes) io.out(`  ${t}`);
}

export async function deleteScheduleCommand(id: string, opts: ApiOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const s = await api.answer(api.http.DELETE('/api/v1/schedules/{id}', { params: { path: { id } } }));
  io.out(`deleted schedule ${s.id} (pipeline ${s.pipeline}); its runs go on`);
}
