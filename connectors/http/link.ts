// RFC 8288 (formerly 5988) Link headers: `<https://api/x?page=2>; rel="next", <...>; rel="last"`.

/** The target of the first link whose rel includes `rel`, or undefined. */
export function linkTarget(header: string | null, rel: string): string | undefined {
  if (!header) return undefined;
  // A target is delimited by <>, so commas inside it do not split links.
  const link = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;
  for (let m = link.exec(header); m !== null; m = link.exec(header)) {
    const params = m[2] ?? '';
    const relMatch = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (relMatch?.[1] ?? relMatch?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes(rel.toLowerCase())) return m[1];
  }
  return undefined;
}
