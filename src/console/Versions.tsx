// A pipeline's versions (the numbers GET /pipelines/{name} lists; each one's time from
// ?version=N) and a line diff of two of them, as YAML. Added and removed lines are marked with
// + and −, <ins>/<del> and words for screen readers, never by colour alone.
import { useMemo, useState } from 'react';
import { stringify } from 'yaml';
import { unwrap } from './api.js';
import { lineDiff } from './placing.js';
import { useLoad } from './session.js';
import { ErrorNote, fmtTime, Loading } from './ui.js';

/** How many of the newest versions get their registration time fetched. */
const TIMED = 10;

function Diff({ name, from, to }: { name: string; from: number; to: number }) {
  const texts = useLoad(
    async (client) => {
      const get = async (version: number) => stringify(unwrap(await client.GET('/api/v1/pipelines/{name}', { params: { path: { name }, query: { version: String(version) } } })).spec);
      return Promise.all([get(from), get(to)]);
    },
    [name, from, to],
  );
  const lines = useMemo(() => (texts.data ? lineDiff(texts.data[0], texts.data[1]) : []), [texts.data]);
  if (texts.error) return <ErrorNote error={texts.error} what={`load versions ${from} and ${to}`} />;
  if (!texts.data) return <Loading what="the two versions" />;
  const added = lines.filter((l) => l.kind === 'added').length;
  const removed = lines.filter((l) => l.kind === 'removed').length;
  return (
    <>
      <p className="muted" aria-live="polite">
        {added === 0 && removed === 0 ? `Versions ${from} and ${to} are the same.` : `From version ${from} to version ${to}: ${added} line${added === 1 ? '' : 's'} added, ${removed} removed.`}
      </p>
      <ol className="diff" aria-label={`diff of version ${from} and version ${to}`}>
        {lines.map((l, i) => (
          <li key={i} className={`diff-${l.kind}`}>
            <span className="diff-mark" aria-hidden="true">
              {l.kind === 'added' ? '+' : l.kind === 'removed' ? '−' : ' '}
            </span>
            {l.kind === 'added' ? (
              <ins>
                <span className="visually-hidden">added: </span>
                {l.text}
              </ins>
            ) : l.kind === 'removed' ? (
              <del>
                <span className="visually-hidden">removed: </span>
                {l.text}
              </del>
            ) : (
              <span>{l.text}</span>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}

export function Versions({ name, versions }: { name: string; versions: number[] }) {
  const newestFirst = useMemo(() => [...versions].sort((a, b) => b - a), [versions]);
  const latest = newestFirst[0] ?? 1;
  const [from, setFrom] = useState<number>(newestFirst[1] ?? latest);
  const [to, setTo] = useState<number>(latest);
  const times = useLoad(
    async (client) => {
      const entries = await Promise.all(
        newestFirst.slice(0, TIMED).map(async (v) => [v, unwrap(await client.GET('/api/v1/pipelines/{name}', { params: { path: { name }, query: { version: String(v) } } })).createdAt] as const),
      );
      return new Map(entries);
    },
    [name, newestFirst.join(',')],
  );
  return (
    <section aria-label="versions">
      <h2>Versions</h2>
      <ErrorNote error={times.error} what="load the versions' times" />
      <ul className="plain versions" aria-label={`versions of ${name}`}>
        {newestFirst.map((v) => (
          <li key={v}>
            <strong>v{v}</strong>
            {v === latest ? ' (latest)' : ''} <span className="muted small">{times.data?.get(v) ? `registered ${fmtTime(times.data.get(v))}` : ''}</span>
          </li>
        ))}
      </ul>
      {newestFirst.length < 2 ? (
        <p className="muted">One version: nothing to compare yet.</p>
      ) : (
        <>
          <div className="toolbar">
            <VersionSelect label="Compare version" versions={newestFirst} value={from} onChange={setFrom} />
            <VersionSelect label="with version" versions={newestFirst} value={to} onChange={setTo} />
          </div>
          <Diff name={name} from={from} to={to} />
        </>
      )}
    </section>
  );
}

function VersionSelect({ label, versions, value, onChange }: { label: string; versions: number[]; value: number; onChange(v: number): void }) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {versions.map((v) => (
          <option key={v} value={v}>
            v{v}
          </option>
        ))}
      </select>
    </label>
  );
}
