// `sluice run | runs | logs | pause | resume | cancel | retry`: runs over the REST API.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { logLine, logPlace } from '../api/log-schemas.js';
import type { operations, Schemas } from '../api/client/index.js';
import { ApiClient, ApiProblem, CliError, type ApiOptions } from './api-client.js';
import { typedParams } from './params.js';
import { failureLines, formatDuration, isSettled, ProgressView } from './progress.js';

/** Where a command writes: stdout for what it answers, stderr for notes and errors. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const consoleOutput: Output = { out: (l) => console.log(l), err: (l) => console.error(l) };

type RunView = Schemas['Run'];
type RunSummary = Schemas['RunList']['runs'][number];
type RunsQuery = NonNullable<operations['getRuns']['parameters']['query']>;
type LogsQuery = NonNullable<operations['getRunsRunIdLogs']['parameters']['query']>;

const pipelineParamsOf = z.object({
  spec: z.looseObject({ params: z.record(z.string(), z.looseObject({ type: z.string().optional() })).optional() }),
});

/** The params of `--param` pairs, typed by the declarations of the version that will run. */
export async function paramsFor(api: ApiClient, pipeline: string, version: number | undefined, pairs: string[]): Promise<Record<string, unknown> | undefined> {
  if (pairs.length === 0) return undefined;
  const answer = await api.answer(api.http.GET('/api/v1/pipelines/{name}', { params: { path: { name: pipeline }, query: version === undefined ? {} : { version: String(version) } } }));
  const { spec } = pipelineParamsOf.parse(answer);
  return typedParams(spec.params, pairs);
}

export interface RunOptions extends ApiOptions {
  param: string[];
  version?: number | undefined;
  follow?: boolean | undefined;
  /** Between two looks at the run while following (ms). */
  interval: number;
}

/** Starts a run; prints its id, or follows it to its end. Returns the exit code. */
export async function runCommand(pipeline: string, opts: RunOptions, io: Output = consoleOutput): Promise<number> {
  const api = ApiClient.fromOptions(opts);
  const params = await paramsFor(api, pipeline, opts.version, opts.param);
  const body = { ...(params ? { params } : {}), ...(opts.version === undefined ? {} : { version: opts.version }) };
  const started = await api.answer(api.http.POST('/api/v1/pipelines/{name}/runs', { params: { path: { name: pipeline } }, body }));
  if ('skipped' in started) {
    io.err(started.skipped);
    return 1;
  }
  if (!opts.follow) {
    io.out(started.runId);
    if (started.queued) io.err(`queued: the pipeline's concurrency limit is reached; follow it with sluice run --follow, or look with sluice runs --pipeline ${pipeline}`);
    return 0;
  }
  io.err(`started run ${started.runId}${started.queued ? ' (queued for a concurrency slot)' : ''}`);
  return followRun(api, started.runId, opts.interval, io);
}

/** How long following goes on while the API does not answer, before giving up. */
const UNREACHABLE_GRACE_MS = 60_000;

/** Polls the run until it settles, drawing its progress; 0 when it completed, 1 otherwise. */
export async function followRun(api: ApiClient, runId: string, intervalMs: number, io: Output = consoleOutput, tty = process.stdout.isTTY === true): Promise<number> {
  const progress = new ProgressView();
  const stopped = () => {
    io.err(`\nstopped following; the run goes on: sluice cancel ${runId} to stop it`);
    process.exit(130);
  };
  process.once('SIGINT', stopped);
  let failingSince: number | null = null;
  try {
    for (;;) {
      let view: RunView;
      try {
        view = await api.answer(api.http.GET('/api/v1/runs/{runId}', { params: { path: { runId } } }));
        failingSince = null;
      } catch (err) {
        // A blip of the API (a restart, a 503) does not end the watch; a refusal (4xx) does.
        if (err instanceof ApiProblem && err.status < 500) throw err;
        if (!(err instanceof CliError)) throw err;
        const now = Date.now();
        if (failingSince === null) {
          failingSince = now;
          io.err(`${err.message.split('\n')[0]}; trying again for ${UNREACHABLE_GRACE_MS / 1000}s`);
        } else if (now - failingSince > UNREACHABLE_GRACE_MS) throw err;
        await sleep(intervalMs);
        continue;
      }
      const now = Date.now();
      if (tty) process.stdout.write(progress.frame(view, now, process.stdout.rows || 40, process.stdout.columns || 120));
      else for (const line of progress.plain(view, now)) io.out(line);
      if (isSettled(view)) {
        if (view.status === 'completed') return 0;
        for (const line of failureLines(view)) io.err(line);
        return 1;
      }
      await sleep(intervalMs);
    }
  } finally {
    process.removeListener('SIGINT', stopped);
  }
}

export interface ListRunsOptions extends ApiOptions {
  pipeline?: string | undefined;
  status?: string | undefined;
  schedule?: string | undefined;
  limit?: number | undefined;
  json?: boolean | undefined;
}

function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '';
}

/** Aligned columns, the last one left ragged. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function runsTable(runs: RunSummary[], now = Date.now()): string[] {
  const rows = runs.map((r) => [r.runId, r.pipeline ?? '', r.status, when(r.startedAt), formatDuration((r.closedAt ? Date.parse(r.closedAt) : now) - Date.parse(r.startedAt)) + (r.closedAt ? '' : ' so far')]);
  return table(['RUN', 'PIPELINE', 'STATUS', 'STARTED', 'TOOK'], rows);
}

export async function listRunsCommand(opts: ListRunsOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const query = Object.fromEntries(Object.entries({ pipeline: opts.pipeline, status: opts.status, schedule: opts.schedule, limit: opts.limit === undefined ? undefined : String(opts.limit) }).filter(([, v]) => v !== undefined));
  // The API checks the values (a wrong status is a 400 at its path).
  const page = await api.answer(api.http.GET('/api/v1/runs', { params: { query: query as RunsQuery } }));
  if (opts.json) {
    io.out(JSON.stringify(page, null, 2));
    return;
  }
  if (page.runs.length === 0) io.err('no runs');
  else for (const line of runsTable(page.runs)) io.out(line);
  if (page.next) io.err(`more runs are older than these (--limit up to 500)`);
}

export interface LogsOptions extends ApiOptions {
  node?: string | undefined;
  level?: string | undefined;
  follow?: boolean | undefined;
}

type LogLine = z.infer<typeof logLine>;
type LogPlace = z.infer<typeof logPlace>;

export function formatLogLine(l: LogLine): string {
  const where = `${l.nodeId}#${l.attempt}${l.site === 'central' ? '' : `@${l.site}`}`;
  const fields = l.fields && Object.keys(l.fields).length > 0 ? ` ${JSON.stringify(l.fields)}` : '';
  return `${l.time} ${where} ${l.level.toUpperCase().padEnd(5)} ${l.msg}${fields}`;
}

/** Notes about the places whose workers do not send their lines here. */
function placeNotes(places: LogPlace[]): string[] {
  return places.filter((p) => p.shipping !== 'on').map((p) => `${p.site} (${p.nodes.join(', ')}): ${p.note}`);
}

const PAGE = 1000;

/** Prints a run's log lines: what is stored, or with `follow` everything until the run closes. */
export async function logsCommand(runId: string, opts: LogsOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const base = Object.fromEntries(Object.entries({ node: opts.node, level: opts.level }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const path = (extra: Record<string, string>) => `/runs/${encodeURIComponent(runId)}/logs?${new URLSearchParams({ ...base, ...extra })}`;
  if (opts.follow) return followLogs(api, path, io);
  let cursor: string | undefined;
  let printed = 0;
  let places: LogPlace[] = [];
  for (;;) {
    const query: LogsQuery = { ...base, limit: String(PAGE), ...(cursor ? { cursor } : {}) };
    const page = await api.answer(api.http.GET('/api/v1/runs/{runId}/logs', { params: { path: { runId }, query } }));
    places = page.places;
    for (const l of page.lines) io.out(formatLogLine(l));
    printed += page.lines.length;
    if (page.lines.length < PAGE || page.next === null) break;
    cursor = page.next;
  }
  if (printed === 0) io.err(`no log lines of run ${runId} here${opts.node ? ` for node ${opts.node}` : ''}`);
  for (const note of placeNotes(places)) io.err(note);
}

const RECONNECTS = 5;

async function followLogs(api: ApiClient, path: (extra: Record<string, string>) => string, io: Output): Promise<void> {
  let cursor: string | undefined;
  let notesShown = false;
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const ev of api.events(path({ follow: '1', ...(cursor ? { cursor } : {}) }))) {
        if (ev.event === 'places' && !notesShown) {
          notesShown = true;
          for (const note of placeNotes(z.array(logPlace).parse(JSON.parse(ev.data)))) io.err(note);
        } else if (ev.event === 'line') {
          const line = logLine.parse(JSON.parse(ev.data));
          io.out(formatLogLine(line));
          cursor = ev.id ?? line.id;
          attempt = 0;
        } else if (ev.event === 'end') {
          const end = z.object({ status: z.string() }).loose().safeParse(JSON.parse(ev.data));
          io.err(`run closed${end.success ? `: ${end.data.status}` : ''}`);
          return;
        } else if (ev.event === 'error') {
          throw new CliError(`the API ended the stream with an error: ${ev.data}`);
        }
      }
    } catch (err) {
      if (err instanceof ApiProblem || !(err instanceof CliError) || err.message.startsWith('the API ended') || attempt >= RECONNECTS) throw err;
      io.err(`${err.message}; reconnecting`);
      await sleep(1000);
      continue;
    }
    // The stream ended without saying the run closed (an API restart): pick up after the last line.
    if (attempt >= RECONNECTS) throw new CliError('the log stream kept ending before the run closed');
    await sleep(1000);
  }
}

export interface ActionOptions extends ApiOptions {
  node: string[];
}

/** `sluice pause | resume | cancel RUN`. */
export async function runActionCommand(action: 'pause' | 'resume' | 'cancel', runId: string, opts: ApiOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const answer = await api.answer(api.http.POST(`/api/v1/runs/{runId}/${action}`, { params: { path: { runId } } }));
  io.out(`${answer.requested} requested for run ${answer.runId}`);
}

/** `sluice retry RUN [--node id]...`. */
export async function retryCommand(runId: string, opts: ActionOptions, io: Output = consoleOutput): Promise<void> {
  const api = ApiClient.fromOptions(opts);
  const answer = await api.answer(api.http.POST('/api/v1/runs/{runId}/retry', { params: { path: { runId } }, body: opts.node.length > 0 ? { nodes: opts.node } : {} }));
  io.out(`retrying run ${answer.runId}: ${answer.retried.join(', ')}`);
  const others = answer.reopened.filter((n) => !answer.retried.includes(n));
  if (others.length > 0) io.out(`  and what they lead to: ${others.join(', ')}`);
}
