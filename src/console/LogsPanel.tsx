// A run's log lines (one node's, or all), streamed as they arrive from GET /runs/{id}/logs?follow=1
// until the run closes, with where each place keeps its logs when they are not shipped here.
import { useEffect, useRef, useState } from 'react';
import { ApiProblem, followLogs, messageOf, type LogLine, type LogPlace } from './api.js';
import { useSession } from './session.js';

const MAX_LINES = 2000;

export function LogsPanel({ runId, node, onAll }: { runId: string; node: string | null; onAll(): void }) {
  const session = useSession();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [places, setPlaces] = useState<LogPlace[]>([]);
  const [state, setState] = useState<'following' | 'ended' | 'failed'>('following');
  const [problem, setProblem] = useState<string | null>(null);
  const box = useRef<HTMLOListElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setPlaces([]);
    setState('following');
    setProblem(null);
    followLogs(session.key, runId, node, abort.signal, {
      onLine: (line) => setLines((ls) => (ls.length >= MAX_LINES ? [...ls.slice(1), line] : [...ls, line])),
      onPlaces: setPlaces,
      onEnd: () => setState('ended'),
    })
      .then(() => !abort.signal.aborted && setState((s) => (s === 'following' ? 'ended' : s)))
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof ApiProblem && err.status === 401) return session.signOut(`Signed out: ${err.message}`);
        setState('failed');
        setProblem(messageOf(err));
      });
    return () => abort.abort();
  }, [runId, node, session]);

  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);

  // `unknown` only means no line has come from there yet: said while nothing has.
  const unshipped = places.filter((p) => (p.shipping === 'off' || (p.shipping === 'unknown' && lines.length === 0)) && (node === null || p.nodes.includes(node)));
  return (
    <section className="logs" aria-label="logs">
      <h2>
        Logs {node ? <>of node <code>{node}</code></> : 'of every node'}{' '}
        <span className="muted small" aria-live="polite">
          {state === 'following' ? '(live)' : state === 'ended' ? '(the run has closed: all lines)' : ''}
        </span>
      </h2>
      {node && (
        <button type="button" className="small" onClick={onAll}>
          Show every node's logs
        </button>
      )}
      {problem && (
        <p className="error" role="alert">
          Could not follow the logs: {problem}
        </p>
      )}
      {unshipped.map((p) => (
        <p key={p.site} className="muted small">
          {p.note}
        </p>
      ))}
      <ol className="log-lines" ref={box} tabIndex={0} aria-label="log lines">
        {lines.length === 0 && <li className="muted">No lines yet.</li>}
        {lines.map((l) => (
          <li key={l.id} className={`level-${l.level}`}>
            <time dateTime={l.time}>{l.time.slice(11, 23)}</time> <span className="log-node">{l.nodeId}#{l.attempt}</span> <span className="log-level">{l.level}</span> <span className="log-msg">{l.msg}</span>
            {l.fields && Object.keys(l.fields).length > 0 && <span className="log-fields"> {JSON.stringify(l.fields)}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
