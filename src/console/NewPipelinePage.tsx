// A new pipeline: the spec editor with a small starting spec; saving registers version 1 and opens
// the pipeline's page.
import { Link, navigate, pipelineHref } from './router.js';
import { SpecEditor } from './SpecEditor.js';

const STARTER = `# A new pipeline: change the name, add nodes, then Save (an author key).
# Ctrl-Space completes from the pipeline schema; hover a key for what it means.
name: my-pipeline
description: What this pipeline does
nodes:
  - id: wait
    type: control.sleep
    config:
      ms: 10
`;

export function NewPipelinePage() {
  return (
    <>
      <p className="crumbs">
        <Link href="/">Pipelines</Link> /
      </p>
      <h1>New pipeline</h1>
      <p className="muted">Saving registers the spec as version 1 of the pipeline its <code>name</code> gives (or a new version, if that pipeline exists).</p>
      <SpecEditor initialText={STARTER} label="spec of a new pipeline (YAML)" onSaved={(saved) => navigate(pipelineHref(saved.name))} />
    </>
  );
}
