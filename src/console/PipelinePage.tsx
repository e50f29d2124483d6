// One pipeline: its DAG, the run form from its params, its latest runs, its schedules, its spec in
// the editor (saving registers a new version), and its versions with a diff of two.
import { useMemo } from 'react';
import { stringify } from 'yaml';
import { unwrap } from './api.js';
import { Dag } from './Dag.js';
import { ParamsForm } from './ParamsForm.js';
import { Link, navigate, pipelineHref, runHref } from './router.js';
import { PipelineSchedules } from './Schedules.js';
import { useLoad } from './session.js';
import { specDescription, specNodes, specParams } from './spec.js';
import { ErrorNote, fmtTime, Loading, Status } from './ui.js';
import { SpecEditor } from './SpecEditor.js';
import { Versions } from './Versions.js';

export function PipelinePage({ name }: { name: string }) {
  const pipeline = useLoad(async (client) => unwrap(await client.GET('/api/v1/pipelines/{name}', { params: { path: { name } } })), [name]);
  const runs = useLoad(async (client) => unwrap(await client.GET('/api/v1/runs', { params: { query: { pipeline: name, limit: '10' } } })).runs, [name]);
  const spec = pipeline.data?.spec;
  const nodes = useMemo(() => (spec ? specNodes(spec) : []), [spec]);
  const params = useMemo(() => (spec ? specParams(spec) : []), [spec]);
  const yamlText = useMemo(() => (spec ? stringify(spec) : ''), [spec]);
  return (
    <>
      <p className="crumbs">
        <Link href="/">Pipelines</Link> /
      </p>
      <h1>{name}</h1>
      <ErrorNote error={pipeline.error} what={`load pipeline ${name}`} />
      {pipeline.loading && !pipeline.data && <Loading what="the pipeline" />}
      {pipeline.data && spec && (
        <>
          <p className="muted">
            Version {pipeline.data.version} of {pipeline.data.versions.length}, registered {fmtTime(pipeline.data.createdAt)}. {specDescription(spec)}
          </p>
          <Dag nodes={nodes} label={`DAG of ${name}`} />
          <div className="columns">
            <ParamsForm key={`${name}@${pipeline.data.version}`} pipeline={name} version={pipeline.data.version} params={params} />
            <section aria-label="latest runs">
              <h2>Latest runs</h2>
              <ErrorNote error={runs.error} what="list runs" />
              {runs.data && runs.data.length === 0 && <p className="muted">No runs yet.</p>}
              {runs.data && runs.data.length > 0 && (
                <ul className="plain">
                  {runs.data.map((r) => (
                    <li key={r.runId}>
                      <Link href={runHref(r.runId)}>{r.runId}</Link> <Status value={r.status} /> <span className="muted small">{fmtTime(r.startedAt)}</span>
                    </li>
                  ))}
                </ul>
              )}
              <p>
                <Link href={`/runs?pipeline=${encodeURIComponent(name)}`}>All runs of {name}</Link>
              </p>
            </section>
          </div>
          <PipelineSchedules name={name} />
          <h2>Spec</h2>
          <SpecEditor
            key={name}
            initialText={yamlText}
            label={`spec of ${name} (YAML)`}
            resetText={{ text: yamlText, label: `version ${pipeline.data.version}` }}
            onSaved={(saved) => (saved.name === name ? pipeline.reload() : navigate(pipelineHref(saved.name)))}
          />
          <Versions key={pipeline.data.versions.join(',')} name={name} versions={pipeline.data.versions} />
        </>
      )}
    </>
  );
}
