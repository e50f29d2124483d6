// `--param name=value` strings made into a run's params: command-line values are text, so a param
// declared number or boolean gets its typed value, and a list param given as JSON its list.
// Anything that does not convert stays text, so the params check (resolveParams, or the API's)
// names the mismatch at `params.<name>`.

/** The part of a pipeline's param declarations typing needs. */
export type DeclaredParams = Readonly<Record<string, { readonly type?: string | undefined }>> | undefined;

/** A list param given as JSON (`regions=["eu","us"]`); text that is not a JSON list stays text. */
function parsedList(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : text;
  } catch {
    return text;
  }
}

/** `name=value` pairs as params, typed by the pipeline's declarations. */
export function typedParams(declared: DeclaredParams, pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const text = pair.slice(at + 1);
    const type = declared?.[name]?.type;
    if (type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) out[name] = Number(text);
    else if (type === 'boolean' && (text === 'true' || text === 'false')) out[name] = text === 'true';
    else if (type === 'list' && text.trim().startsWith('[')) out[name] = parsedList(text);
    else out[name] = text;
  }
  return out;
}
