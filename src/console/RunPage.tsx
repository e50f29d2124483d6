// One run, live: GET /runs/{id} every second while the run is open, the DAG coloured by node state
// with rows and rows/s, each node's attempts and errors, pause / resume / cancel / retry (for roles
// that may), a node's logs as they arrive, and the run in the Temporal Web UI when its address is known.
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiProblem, messageOf, temporalRunLink, unwrap, type NodeView, type Run } from './api.js';
import { Dag, type NodeBadge } from './Dag.js';
import { LogsPanel } from './LogsPanel.js';
import { RejectedPanel } from './RejectedPanel.js';
import { Link, pipelineHref } from './router.js';
import { useLoad, useSession } from './session.js';
import { specNodes } from './spec.js';
import { ErrorNote, fmtDuration, fmtNumber, fmtTime, Loading, Status } from './ui.js';

const POLL_MS = 1000;
const CLOSED = new Set(['completed', 'failed', 'cancelled']);

type Sample = { rows: number; at: number };
const rowsOf = (n: NodeView) => Math.max(n.stats.rowsIn ?? 0, n.stats.rowsOut ?? 0);

/** The run, polled while open (a failed run waiting for a retry is open too), and rows/s per node from the last two looks. */
function useLiveRun(runId: string) {
  const session = useSession();
  const [run, setRun] = useState<Run | undefined>();
  const [error, setError] = useState<unknown>();
  const [rates, setRates] = useState<Record<string, number>>({});
  const samples = useRef<Record<string, Sample>>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    samples.current = {};
    const look = async () => {
      try {
        const view = unwrap(await session.client.GET('/api/v1/runs/{runId}', { params: { path: { runId } } }));
        if (stopped) return;
        const now = performance.now();
        const next: Record<string, number> = {};
        for (const [id, n] of Object.entries(view.nodes)) {
          const before = samples.current[id];
          const rows = rowsOf(n);
          if (n.state === 'running' && before && now > before.at) next[id] = Math.max(0, ((rows - before.rows) * 1000) / (now - before.at));
          samples.current[id] = { rows, at: now };
        }
        setRun(view);
        setRates(next);
        setError(undefined);
        const open = !CLOSED.has(view.status) || Boolean(view.recoverableUntil);
        if (open) timer = setTimeout(look, POLL_MS);
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiProblem && err.status === 401) return session.signOut(`Signed out: ${err.message}`);
        setError(err);
        // A 503 (Temporal busy) or a lost connection: keep looking, a little slower.
        if (!(err instanceof ApiProblem && err.status === 404)) timer = setTimeout(look, POLL_MS * 3);
      }
    };
    void look();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId, session, tick]);
  return { run, error, rates, refresh: () => setTick((t) => t + 1) };
}

function RunActions({ run, onDone }: { run: Run; onDone(): void }) {
  const session = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const allowed = session.can('operator');
  const why = allowed ? undefined : `needs the operator role; this key has ${session.me.role}`;
  const act = async (action: 'pause' | 'resume' | 'cancel' | 'retry') => {
    setBusy(action);
    setNote(null);
    try {
      const opts = { params: { path: { runId: run.runId } }, headers: { 'idempotency-key': crypto.randomUUID() } };
      if (action === 'retry') {
        const r = unwrap(await session.client.POST('/api/v1/runs/{runId}/retry', { ...opts, body: {} }));
        setNote({ ok: true, text: `Retrying ${r.retried.join(', ') || 'the failed nodes'}.` });
      } else {
        const path = `/api/v1/runs/{runId}/${action}` as const;
        unwrap(await session.client.POST(path, opts));
        setNote({ ok: true, text: `${action[0]!.toUpperCase()}${action.slice(1)} requested.` });
      }
      onDone();
    } catch (err) {
      setNote({ ok: false, text: `Could not ${action}: ${messageOf(err)}` });
    } finally {
      setBusy(null);
    }
  };
  const open = !CLOSED.has(run.status);
  const buttons: { action: 'pause' | 'resume' | 'cancel' | 'retry'; label: string; show: boolean }[] = [
    { action: 'pause', label: 'Pause', show: run.status === 'running' || run.status === 'queued' },
    { action: 'resume', label: 'Resume', show: run.status === 'paused' },
    { action: 'cancel', label: 'Cancel', show: open },
    { action: 'retry', label: 'Retry failed nodes', show: run.status === 'failed' && Boolean(run.recoverableUntil) },
  ];
  return (
    <div className="actions" aria-label="run actions" role="group">
      {buttons
        .filter((b) => b.show)
        .map((b) => (
          <button key={b.action} type="button" className={b.action === 'cancel' ? 'danger' : undefined} disabled={!allowed || busy !== null} title={why} onClick={() => void act(b.action)}>
            {busy === b.action ? `${b.label}…` : b.label}
          </button>
        ))}
      {!allowed && <span className="muted small">Pausing, resuming, cancelling and retrying {why}.</span>}
      {note && (
        <span className={note.ok ? 'ok' : 'error'} role="status">
          {note.text}
        </span>
      )}
    </div>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const { run, error, rates, refresh } = useLiveRun(runId);
  const [selected, setSelected] = useState<string | null>(null);
  const version = run?.version;
  const pipelineName = run?.pipeline;
  const pipeline = useLoad(
    async (client) => (pipelineName && version ? unwrap(await client.GET('/api/v1/pipelines/{name}', { params: { path: { name: pipelineName }, query: { version: String(version) } } })) : null),
    [pipelineName, version],
  );
  const nodes = useMemo(() => {
    const fromSpec = pipeline.data ? specNodes(pipeline.data.spec) : [];
    // A node the view lists but the spec does not (a mapped instance, an archived run): still shown.
    const known = new Set(fromSpec.map((n) => n.id));
    const extra = Object.entries(run?.nodes ?? {})
      .filter(([id]) => !known.has(id))
      .map(([id, n]) => ({ id, type: '', needs: [], site: n.site === 'central' ? null : n.site }));
    return [...fromSpec, ...extra];
  }, [pipeline.data, run?.nodes]);
  const badges = useMemo(() => {
    const out: Record<string, NodeBadge> = {};
    for (const [id, n] of Object.entries(run?.nodes ?? {})) {
      const rows = rowsOf(n);
      const rate = rates[id];
      const parts = [rows > 0 || n.state === 'running' ? `${fmtNumber(rows)} rows` : '', rate !== undefined ? `${fmtNumber(rate)}/s` : '', n.attempt > 1 ? `try ${n.attempt}` : ''].filter(Boolean);
      out[id] = { state: n.state, detail: parts.join(' · ') };
    }
    return out;
  }, [run?.nodes, rates]);
  const temporal = temporalRunLink(runId);
  // The summary counts nodes that ended; the nodes' own counts include the live heartbeats.
  const totals = useMemo(() => {
    const nodesIn = Object.values(run?.nodes ?? {}).reduce((a, n) => a + (n.stats.rowsIn ?? 0), 0);
    const nodesOut = Object.values(run?.nodes ?? {}).reduce((a, n) => a + (n.stats.rowsOut ?? 0), 0);
    return { rowsIn: Math.max(nodesIn, run?.summary?.rowsIn ?? 0), rowsOut: Math.max(nodesOut, run?.summary?.rowsOut ?? 0) };
  }, [run]);

  return (
    <>
      <p className="crumbs">
        <Link href="/runs">Runs</Link> / {run && <Link href={pipelineHref(run.pipeline)}>{run.pipeline}</Link>}
      </p>
      <h1 className="run-title">
        {runId} {run && <Status value={run.status} />}
      </h1>
      <ErrorNote error={error} what="load the run" />
      {!run && !error && <Loading what="the run" />}
      {run && (
        <>
          <dl className="facts">
            <dt>Pipeline</dt>
            <dd>
              <Link href={pipelineHref(run.pipeline)}>{run.pipeline}</Link> v{run.version}
            </dd>
            <dt>Started</dt>
            <dd>{fmtTime(run.startedAt)}</dd>
            <dt>{run.endedAt ? 'Took' : 'Running for'}</dt>
            <dd>{fmtDuration(run.startedAt, run.endedAt)}</dd>
            <dt>Rows</dt>
            <dd>
              {fmtNumber(totals.rowsIn)} in, {fmtNumber(totals.rowsOut)} out
            </dd>
            {temporal && (
              <>
                <dt>Temporal</dt>
                <dd>
                  <a href={temporal} target="_blank" rel="noreferrer noopener">
                    Open in the Temporal Web UI
                  </a>
                </dd>
              </>
            )}
          </dl>
          {run.error && (
            <p className="error" role="alert">
              {run.error}
            </p>
          )}
          {run.waiting && <p className="note">{run.waiting}</p>}
          {run.recoverableUntil && <p className="note">This run waits for a retry until {fmtTime(run.recoverableUntil)}.</p>}
          {run.stale && <p className="muted small">No worker answered in time: this view is rebuilt from Temporal's history and may lag a moment.</p>}
          <RunActions run={run} onDone={refresh} />
          <ErrorNote error={pipeline.error} what="load the pipeline's DAG" />
          {nodes.length > 0 && <Dag nodes={nodes} badges={badges} selected={selected} onSelect={setSelected} label={`DAG of run ${runId}`} />}
          <h2>Nodes</h2>
          {run.detail === 'partial' && <p className="muted small">This run has more than 1,000 nodes: only running, paused and failed ones are listed.</p>}
          <table className="grid nodes">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">State</th>
                <th scope="col">Attempt</th>
                <th scope="col">Rows in</th>
                <th scope="col">Rows out</th>
                <th scope="col">Rows/s</th>
                <th scope="col">Time</th>
                <th scope="col">Where</th>
                <th scope="col">Logs</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(run.nodes).map(([id, n]) => (
                <NodeRow key={id} id={id} node={n} rate={rates[id]} selected={selected === id} onLogs={() => setSelected(id)} />
              ))}
            </tbody>
          </table>
          <LogsPanel runId={runId} node={selected} onAll={() => setSelected(null)} />
          {selected && run.nodes[selected] && <RejectedPanel runId={runId} nodeId={selected} node={run.nodes[selected]} />}
        </>
      )}
    </>
  );
}

function NodeRow({ id, node, rate, selected, onLogs }: { id: string; node: NodeView; rate: number | undefined; selected: boolean; onLogs(): void }) {
  return (
    <>
      <tr className={selected ? 'selected' : undefined} data-node={id}>
        <th scope="row">{id}</th>
        <td>
          <Status value={node.state} />
          {node.waiting && <div className="muted small">{node.waiting}</div>}
        </td>
        <td>{node.attempt}</td>
        <td className="num">{fmtNumber(node.stats.rowsIn ?? 0)}</td>
        <td className="num">{fmtNumber(node.stats.rowsOut ?? 0)}</td>
        <td className="num">{rate === undefined ? '—' : fmtNumber(rate)}</td>
        <td>{fmtDuration(node.startedAt, node.endedAt)}</td>
        <td>{node.site}</td>
        <td>
          <button type="button" className="small" aria-pressed={selected} onClick={onLogs}>
            Logs of {id}
          </button>
        </td>
      </tr>
      {(node.error || (node.earlierTries?.length ?? 0) > 0) && (
        <tr className="detail">
          <td colSpan={9}>
            {node.error && <div className="error">{node.state === 'running' ? `Last attempt failed: ${node.error}` : node.error}</div>}
            {node.earlierTries?.map((t, i) => (
              <div key={i} className="muted small">
                Earlier try {i + 1}: {t.state} after attempt {t.attempt}
                {t.error ? `: ${t.error}` : ''}
              </div>
            ))}
          </td>
        </tr>
      )}
    </>
  );
}
