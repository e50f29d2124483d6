// The run form: one field per declared param (text, number, checkbox, or a JSON list), prefilled
// with its default. Starting a run goes to the run's page; a refused start shows the API's reasons.
import { useState, type FormEvent } from 'react';
import { ApiProblem, messageOf, unwrap } from './api.js';
import { navigate, runHref } from './router.js';
import { useSession } from './session.js';
import type { SpecParam } from './spec.js';

type Values = Record<string, string | boolean>;

function initial(params: SpecParam[]): Values {
  return Object.fromEntries(
    params.map((p) => [p.name, p.type === 'boolean' ? p.default === true : p.default === undefined ? '' : p.type === 'list' ? JSON.stringify(p.default) : String(p.default)]),
  );
}

/** The params to send: empty fields are left out (the spec's default, or the API says it is required). */
function toParams(params: SpecParam[], values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of params) {
    const v = values[p.name];
    if (p.type === 'boolean') out[p.name] = v === true;
    else if (typeof v !== 'string' || v.trim() === '') continue;
    else if (p.type === 'number') out[p.name] = Number(v);
    else if (p.type === 'list') {
      try {
        out[p.name] = JSON.parse(v);
      } catch {
        throw new ApiProblem(400, `${p.name} must be a JSON list, like ["eu", "us"]`);
      }
    } else out[p.name] = v;
  }
  return out;
}

export function ParamsForm({ pipeline, version, params }: { pipeline: string; version: number; params: SpecParam[] }) {
  const session = useSession();
  const [values, setValues] = useState<Values>(() => initial(params));
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const allowed = session.can('operator');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setNote(null);
    try {
      const answer = unwrap(
        await session.client.POST('/api/v1/pipelines/{name}/runs', {
          params: { path: { name: pipeline } },
          body: { params: toParams(params, values), version },
          headers: { 'idempotency-key': crypto.randomUUID() },
        }),
      );
      if ('skipped' in answer) setNote(`Not started: ${answer.skipped}`);
      else navigate(runHref(answer.runId));
    } catch (err) {
      setNote(`Could not start a run: ${messageOf(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="params" onSubmit={submit} aria-label="start a run">
      <h2>Start a run (v{version})</h2>
      {params.length === 0 && <p className="muted">This pipeline declares no params.</p>}
      {params.map((p) => {
        const id = `param-${p.name}`;
        const v = values[p.name];
        return (
          <div className="field" key={p.name}>
            <label htmlFor={id}>
              {p.name} <span className="muted small">({p.type}{p.default === undefined ? '' : `, default ${JSON.stringify(p.default)}`})</span>
            </label>
            {p.type === 'boolean' ? (
              <input id={id} name={p.name} type="checkbox" checked={v === true} onChange={(e) => setValues({ ...values, [p.name]: e.target.checked })} />
            ) : (
              <input
                id={id}
                name={p.name}
                type={p.type === 'number' ? 'number' : 'text'}
                step={p.type === 'number' ? 'any' : undefined}
                value={typeof v === 'string' ? v : ''}
                placeholder={p.type === 'list' ? '["a", "b"]' : undefined}
                onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}
              />
            )}
            {p.description && <div className="muted small">{p.description}</div>}
          </div>
        );
      })}
      <button type="submit" disabled={!allowed || busy} title={allowed ? undefined : `starting runs needs the operator role; this key has ${session.me.role}`}>
        {busy ? 'Starting…' : 'Start run'}
      </button>
      {!allowed && <p className="muted small">Starting runs needs the operator role; this key has {session.me.role}.</p>}
      {note && (
        <p className="error" role="alert">
          {note}
        </p>
      )}
    </form>
  );
}
