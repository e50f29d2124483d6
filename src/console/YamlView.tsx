// A pipeline spec as YAML in a read-only CodeMirror 6 editor (selectable, searchable, keyboard
// reachable; editing comes in a later slice).
import { useEffect, useRef } from 'react';
import { basicSetup, EditorView } from 'codemirror';
import { EditorState } from '@codemirror/state';
import { yaml } from '@codemirror/lang-yaml';
import { styleNonce } from './api.js';

export function YamlView({ text, label }: { text: string; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return undefined;
    const view = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: text,
        extensions: [basicSetup, yaml(), EditorView.cspNonce.of(styleNonce()), EditorState.readOnly.of(true), EditorView.contentAttributes.of({ 'aria-label': label })],
      }),
    });
    return () => view.destroy();
  }, [text, label]);
  return <div className="yaml" ref={host} />;
}
