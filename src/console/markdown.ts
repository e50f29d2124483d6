// Stands in for codemirror-json-schema's Markdown renderer (scripts/build-console.ts swaps it in):
// the schema's texts and messages become escaped HTML, with `code` spans and line breaks and
// nothing else, so no text the editor shows can carry markup.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export function renderMarkdown(markdown: string, inline = true): string {
  const html = escapeHtml(String(markdown))
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/\n/g, '<br>');
  return inline ? html : `<p>${html}</p>`;
}
