// A node's rejected (bad) records: for a central node a sample with each record's reason, read by a
// central worker from staging (GET /runs/{id}/nodes/{node}/rejected); for a node on a site, where
// the site keeps them and how to read them there: they never leave the site.
import { unwrap, type NodeView } from './api.js';
import { useLoad } from './session.js';
import { ErrorNote, Loading } from './ui.js';

const SAMPLE = 20;

/** The node's bad-record count as the view knows it (its outputs once done, else its live stats). */
export function badRowsOf(node: NodeView): number {
  const fromOutputs = node.outputs?.badRows;
  return typeof fromOutputs === 'number' ? fromOutputs : (node.stats.badRows ?? 0);
}

export function RejectedPanel({ runId, nodeId, node }: { runId: string; nodeId: string; node: NodeView }) {
  const bad = badRowsOf(node);
  const settled = node.state !== 'running' && node.state !== 'pending';
  const sample = useLoad(
    async (client) =>
      bad > 0 && settled ? unwrap(await client.GET('/api/v1/runs/{runId}/nodes/{nodeId}/rejected', { params: { path: { runId, nodeId }, query: { limit: String(SAMPLE) } } })) : null,
    [runId, nodeId, bad, settled],
  );
  if (bad === 0) return null;
  return (
    <section className="rejected" aria-label={`rejected records of ${nodeId}`}>
      <h2>
        Rejected records of <code>{nodeId}</code> <span className="muted small">({bad.toLocaleString('en')} in all)</span>
      </h2>
      {!settled && <p className="muted">The node is still running; its rejected records are shown once it stops.</p>}
      {settled && sample.loading && !sample.data && <Loading what="rejected records" />}
      <ErrorNote error={sample.error} what="read the rejected records" />
      {sample.data?.keptOnSite && (
        <div className="note">
          <p>
            These records stay on site <strong>{sample.data.keptOnSite.site}</strong>: they are kept at <code>{sample.data.keptOnSite.location}</code>.
          </p>
          <p>
            To read them, on a host of that site: <code>{sample.data.keptOnSite.how}</code>
          </p>
        </div>
      )}
      {sample.data?.note && <p className="muted">{sample.data.note}</p>}
      {sample.data && sample.data.records.length > 0 && (
        <>
          <table className="grid">
            <thead>
              <tr>
                <th scope="col">Where</th>
                <th scope="col">Why</th>
                <th scope="col">Record</th>
              </tr>
            </thead>
            <tbody>
              {sample.data.records.map((r, i) => (
                <tr key={i}>
                  <td>{r.position}</td>
                  <td>{r.reason}</td>
                  <td>
                    <code className="record">{JSON.stringify(r.record)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {sample.data.truncated && <p className="muted small">The first {sample.data.records.length} are shown.</p>}
        </>
      )}
    </section>
  );
}
