// Schedules (Temporal Schedules, read through GET /api/v1/schedules): a pipeline's in full on its
// page, and every pipeline's at a glance on the list (one request, grouped by pipeline).
import { unwrap, type Schedule } from './api.js';
import { useLoad } from './session.js';
import { ErrorNote, fmtTime, Loading } from './ui.js';

/** "cron 0 3 * * * (Europe/Paris)" or "every 1h". */
export function when(s: Pick<Schedule, 'cron' | 'interval' | 'timezone'>): string {
  if (s.cron) return `cron ${s.cron}${s.timezone && s.timezone !== 'UTC' ? ` (${s.timezone})` : ' (UTC)'}`;
  if (s.interval) return `every ${s.interval}`;
  return '—';
}

/** Every schedule the key may see, by pipeline (the API lists at most 100 at once). */
export function useSchedulesByPipeline() {
  return useLoad(async (client) => {
    const { schedules } = unwrap(await client.GET('/api/v1/schedules', { params: { query: { limit: '100' } } }));
    const by = new Map<string, Schedule[]>();
    for (const s of schedules as Schedule[]) by.set(s.pipeline, [...(by.get(s.pipeline) ?? []), s]);
    return { by, full: schedules.length >= 100 };
  }, []);
}

export function SchedulesGlance({ schedules }: { schedules: Schedule[] | undefined }) {
  if (!schedules || schedules.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="plain small">
      {schedules.map((s) => (
        <li key={s.id}>
          {when(s)} {s.paused ? <span className="status status-paused">paused</span> : s.nextRunTimes[0] ? <span className="muted">next {fmtTime(s.nextRunTimes[0])}</span> : null}
        </li>
      ))}
    </ul>
  );
}

export function PipelineSchedules({ name }: { name: string }) {
  const list = useLoad(async (client) => unwrap(await client.GET('/api/v1/schedules', { params: { query: { pipeline: name, limit: '100' } } })).schedules as Schedule[], [name]);
  return (
    <section aria-label="schedules">
      <h2>Schedules</h2>
      <ErrorNote error={list.error} what="list schedules" />
      {list.loading && !list.data && <Loading what="schedules" />}
      {list.data && list.data.length === 0 && (
        <p className="muted">
          No schedules. Make one with <code>POST /api/v1/pipelines/{name}/schedules</code> (an operator key).
        </p>
      )}
      {list.data && list.data.length > 0 && (
        <table className="grid schedules">
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">When</th>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Next runs</th>
              <th scope="col">Overlap</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((s) => (
              <tr key={s.id} data-schedule={s.id}>
                <td>
                  {s.id}
                  {s.note && <div className="muted small">{s.note}</div>}
                </td>
                <td>{when(s)}</td>
                <td>{s.version === null ? '—' : `v${s.version}`}</td>
                <td>{s.paused ? <span className="status status-paused">paused</span> : <span className="status status-running">active</span>}</td>
                <td>
                  {s.nextRunTimes.length === 0 ? (
                    <span className="muted">{s.paused ? 'none while paused' : 'none'}</span>
                  ) : (
                    <ul className="plain small">
                      {s.nextRunTimes.slice(0, 3).map((t) => (
                        <li key={t}>{fmtTime(t)}</li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>{s.overlap}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
