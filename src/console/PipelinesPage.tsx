// Pipelines: every pipeline the key may see, searchable by name and description, with its latest
// version, its schedules and the outcomes of its last runs at a glance.
import { useState } from 'react';
import { unwrap, type Schemas } from './api.js';
import { Link, pipelineHref, runHref } from './router.js';
import { SchedulesGlance, useSchedulesByPipeline } from './Schedules.js';
import { useLoad, useSession } from './session.js';
import { ErrorNote, fmtTime, Loading } from './ui.js';

const LAST_RUNS = 5;

function LastRuns({ name }: { name: string }) {
  const runs = useLoad(async (client) => unwrap(await client.GET('/api/v1/runs', { params: { query: { pipeline: name, limit: String(LAST_RUNS) } } })).runs, [name]);
  if (runs.error) return <span className="muted">runs unavailable</span>;
  if (!runs.data) return <span className="muted">…</span>;
  if (runs.data.length === 0) return <span className="muted">no runs yet</span>;
  return (
    <ul className="outcomes" aria-label={`last runs of ${name}`}>
      {runs.data.map((r) => (
        <li key={r.runId}>
          <Link href={runHref(r.runId)} className={`outcome status-${r.status}`} title={`${r.runId}: ${r.status}, started ${fmtTime(r.startedAt)}`}>
            <span className="visually-hidden">
              {r.runId} {r.status}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

export function PipelinesPage() {
  const [search, setSearch] = useState('');
  const session = useSession();
  const list = useLoad(async (client) => unwrap(await client.GET('/api/v1/pipelines')).pipelines, []);
  const schedules = useSchedulesByPipeline();
  const words = search.trim().toLowerCase();
  const shown: Schemas['PipelineList']['pipelines'] = (list.data ?? []).filter((p) => !words || p.name.includes(words) || (p.description ?? '').toLowerCase().includes(words));
  return (
    <>
      <h1>Pipelines</h1>
      <div className="toolbar">
        <label>
          Search <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name or description" />
        </label>
        {session.can('author') ? (
          <Link href="/new">New pipeline</Link>
        ) : (
          <span className="muted small">New pipelines need the author role.</span>
        )}
        {list.data && (
          <span className="muted">
            {shown.length} of {list.data.length}
          </span>
        )}
      </div>
      <ErrorNote error={list.error} what="list pipelines" />
      {list.loading && !list.data && <Loading what="pipelines" />}
      {list.data && list.data.length === 0 && <p>No pipelines yet. Register one with <code>POST /api/v1/pipelines</code> (an author key).</p>}
      {shown.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Pipeline</th>
              <th scope="col">Latest version</th>
              <th scope="col">Updated</th>
              <th scope="col">Schedules</th>
              <th scope="col">Last runs (newest first)</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.name}>
                <td>
                  <Link href={pipelineHref(p.name)}>{p.name}</Link>
                  {p.description && <div className="muted small">{p.description}</div>}
                </td>
                <td>v{p.latestVersion}</td>
                <td>{fmtTime(p.updatedAt)}</td>
                <td>{schedules.error ? <span className="muted">unavailable</span> : schedules.data ? <SchedulesGlance schedules={schedules.data.by.get(p.name)} /> : <span className="muted">…</span>}</td>
                <td>
                  <LastRuns name={p.name} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

