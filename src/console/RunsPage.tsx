// Runs, newest first, filtered by pipeline and status, a page at a time (the API's `next` cursor).
// Filters and cursor live in the address, so a filtered page can be linked and the back button works.
import { unwrap } from './api.js';
import { Link, navigate, pipelineHref, runHref, type Location } from './router.js';
import { useLoad } from './session.js';
import { ErrorNote, fmtDuration, fmtTime, Loading, Status } from './ui.js';

const STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
type StatusFilter = (typeof STATUSES)[number];
const PAGE = 25;

function href(pipeline: string, status: string, cursor?: string): string {
  const q = new URLSearchParams();
  if (pipeline) q.set('pipeline', pipeline);
  if (status) q.set('status', status);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return s ? `/runs?${s}` : '/runs';
}

export function RunsPage({ loc }: { loc: Location }) {
  const pipeline = loc.query.get('pipeline') ?? '';
  const statusParam = loc.query.get('status') ?? '';
  const status = (STATUSES as readonly string[]).includes(statusParam) ? (statusParam as StatusFilter) : '';
  const cursor = loc.query.get('cursor') ?? '';
  const pipelines = useLoad(async (client) => unwrap(await client.GET('/api/v1/pipelines')).pipelines.map((p) => p.name), []);
  const runs = useLoad(
    async (client) =>
      unwrap(
        await client.GET('/api/v1/runs', {
          params: { query: { limit: String(PAGE), ...(pipeline ? { pipeline } : {}), ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [pipeline, status, cursor],
  );
  return (
    <>
      <h1>Runs</h1>
      <form className="toolbar" aria-label="filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Pipeline{' '}
          <select value={pipeline} onChange={(e) => navigate(href(e.target.value, status))}>
            <option value="">all pipelines</option>
            {(pipelines.data ?? []).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
            {pipeline && !(pipelines.data ?? []).includes(pipeline) && <option value={pipeline}>{pipeline}</option>}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => navigate(href(pipeline, e.target.value))}>
            <option value="">any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={runs.reload}>
          Refresh
        </button>
      </form>
      <ErrorNote error={runs.error} what="list runs" />
      {runs.loading && !runs.data && <Loading what="runs" />}
      {runs.data && runs.data.runs.length === 0 && <p className="muted">No runs{pipeline || status ? ' match these filters' : ' yet'}.</p>}
      {runs.data && runs.data.runs.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Pipeline</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Took</th>
              <th scope="col">Schedule</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((r) => (
              <tr key={r.runId}>
                <td>
                  <Link href={runHref(r.runId)}>{r.runId}</Link>
                </td>
                <td>{r.pipeline ? <Link href={pipelineHref(r.pipeline)}>{r.pipeline}</Link> : '—'}</td>
                <td>
                  <Status value={r.status} />
                </td>
                <td>{fmtTime(r.startedAt)}</td>
                <td>{r.closedAt ? fmtDuration(r.startedAt, r.closedAt) : 'open'}</td>
                <td>{r.scheduleId ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="pages of runs">
        {cursor && <Link href={href(pipeline, status)}>First page</Link>}
        {runs.data?.next && <Link href={href(pipeline, status, runs.data.next)}>Next page</Link>}
      </nav>
    </>
  );
}
