// The spec editor: a CodeMirror 6 YAML editor that knows the pipeline JSON Schema (completion,
// hover and checks as you type, from codemirror-json-schema fed this API's own schema) and saves
// the text as it is typed (POST /pipelines as application/yaml). The API's answer is the one that
// counts: each 422 error is drawn at its place in the text (locatePath) and listed with its line,
// a 400's `line:col` too.
import { useEffect, useRef, useState } from 'react';
import { basicSetup, EditorView } from 'codemirror';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { yaml, yamlLanguage } from '@codemirror/lang-yaml';
import { type Diagnostic, forceLinting, linter, lintGutter } from '@codemirror/lint';
import { hoverTooltip } from '@codemirror/view';
import { handleRefresh, stateExtensions, updateSchema } from 'codemirror-json-schema';
import { yamlCompletion, yamlSchemaHover, yamlSchemaLinter } from 'codemirror-json-schema/yaml';
import { ApiProblem, messageOf, pipelineSchema, saveSpecYaml, styleNonce, type Saved } from './api.js';
import { placeErrors, type PlacedError } from './placing.js';
import { useSession } from './session.js';

// The API's diagnostics live in the editor's state (mapped through edits until the next save) and are
// one lint source beside the schema's, so neither replaces the other.
const setServerErrors = StateEffect.define<Diagnostic[]>();
const serverErrors = StateField.define<Diagnostic[]>({
  create: () => [],
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setServerErrors)) return e.value;
    if (!tr.docChanged) return value;
    return value.map((d) => ({ ...d, from: tr.changes.mapPos(d.from, 1), to: Math.max(tr.changes.mapPos(d.from, 1), tr.changes.mapPos(d.to, -1)) }));
  },
});
const serverLint = linter((view) => view.state.field(serverErrors), { delay: 0, needsRefresh: (u) => u.transactions.some((t) => t.effects.some((e) => e.is(setServerErrors))) });

function schemaAware(): Extension[] {
  return [
    linter(yamlSchemaLinter(), { delay: 500, needsRefresh: handleRefresh }),
    yamlLanguage.data.of({ autocomplete: yamlCompletion() }),
    hoverTooltip(yamlSchemaHover()),
    stateExtensions(),
  ];
}

export interface SpecEditorProps {
  /** The text it starts with; later changes of it do not reset what was typed. */
  initialText: string;
  label: string;
  /** What the text is measured against, for "Reset": the latest version's YAML. */
  resetText?: { text: string; label: string };
  onSaved(saved: Saved): void;
}

export function SpecEditor({ initialText, label, resetText, onSaved }: SpecEditorProps) {
  const session = useSession();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ kind: 'saved'; saved: Saved } | { kind: 'refused'; status: number; message: string; errors: PlacedError[] } | { kind: 'failed'; message: string } | null>(null);
  const [schemaNote, setSchemaNote] = useState<string | null>(null);
  const canSave = session.can('author');

  useEffect(() => {
    if (!host.current) return undefined;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initialText,
        extensions: [
          basicSetup,
          yaml(),
          lintGutter(),
          serverErrors,
          serverLint,
          schemaAware(),
          EditorView.cspNonce.of(styleNonce()),
          EditorView.contentAttributes.of({ 'aria-label': label }),
        ],
      }),
    });
    view.current = v;
    let live = true;
    pipelineSchema().then(
      (schema) => live && updateSchema(v, schema as Parameters<typeof updateSchema>[1]),
      (err: unknown) => live && setSchemaNote(`Completion and checks as you type are off: ${messageOf(err)}. Saving still checks the spec.`),
    );
    return () => {
      live = false;
      view.current = null;
      v.destroy();
    };
    // Built once: later text comes from typing, or from Reset.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const showErrors = (errors: PlacedError[]) => {
    const v = view.current;
    if (!v) return;
    const diagnostics: Diagnostic[] = errors.flatMap((e) =>
      e.from === null || e.to === null ? [] : [{ from: e.from, to: e.to, severity: 'error', source: 'API', markClass: 'cm-server-error', message: `${e.path}: ${e.message}` }],
    );
    v.dispatch({ effects: setServerErrors.of(diagnostics) });
    forceLinting(v);
  };

  const save = async () => {
    const v = view.current;
    if (!v) return;
    const text = v.state.doc.toString();
    setBusy(true);
    setOutcome(null);
    try {
      const saved = await saveSpecYaml(session.client, text);
      showErrors([]);
      setOutcome({ kind: 'saved', saved });
      onSaved(saved);
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 401) session.signOut(`Signed out: ${err.message}`);
      if (err instanceof ApiProblem && (err.status === 422 || err.status === 400) && err.errors.length > 0) {
        const placed = placeErrors(text, err.status, err.errors);
        showErrors(placed);
        setOutcome({ kind: 'refused', status: err.status, message: err.message, errors: placed });
      } else {
        showErrors([]);
        setOutcome({ kind: 'failed', message: messageOf(err) });
      }
    } finally {
      setBusy(false);
    }
  };

  const reset = () => {
    const v = view.current;
    if (!v || !resetText) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: resetText.text }, effects: setServerErrors.of([]) });
    setOutcome(null);
  };

  const unplaced = outcome?.kind === 'refused' ? outcome.errors.filter((e) => e.line === null) : [];
  return (
    <section className="editor" aria-label="spec editor">
      <div className="actions">
        <button type="button" onClick={save} disabled={!canSave || busy} aria-describedby={canSave ? undefined : 'save-why'}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        {!canSave && (
          <span id="save-why" className="muted">
            Saving needs the author role; this key has {session.me.role}.
          </span>
        )}
        {resetText && (
          <button type="button" className="small" onClick={reset}>
            Reset to {resetText.label}
          </button>
        )}
        <span className="muted small">Ctrl-Space completes from the schema; hover a key for its description.</span>
      </div>
      <div role="status" aria-live="polite">
        {outcome?.kind === 'saved' &&
          (outcome.saved.created ? (
            <p className="ok">
              Saved as version {outcome.saved.version} of {outcome.saved.name}.
            </p>
          ) : (
            <p className="ok">
              Unchanged: the spec is the same as version {outcome.saved.version} of {outcome.saved.name}; nothing was registered.
            </p>
          ))}
      </div>
      {outcome?.kind === 'failed' && (
        <p className="error" role="alert">
          Could not save: {outcome.message}
        </p>
      )}
      {outcome?.kind === 'refused' && (
        <div className="save-errors" role="alert">
          <p className="error">
            Not saved ({outcome.status === 400 ? 'the YAML does not parse' : 'the spec is not valid'}): {outcome.errors.length} error{outcome.errors.length === 1 ? '' : 's'}.
          </p>
          {unplaced.length > 0 && (
            <ul className="plain unplaced" aria-label="errors not found in the text">
              {unplaced.map((e, i) => (
                <li key={i}>
                  <code>{e.path}</code>: {e.message}
                </li>
              ))}
            </ul>
          )}
          <ol className="error-list" aria-label="errors">
            {outcome.errors.map((e, i) => (
              <li key={i}>
                {e.line !== null ? `line ${e.line}: ` : ''}
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ol>
        </div>
      )}
      {schemaNote && <p className="note">{schemaNote}</p>}
      <div className="yaml yaml-edit" ref={host} />
    </section>
  );
}
