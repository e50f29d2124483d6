// A stable fingerprint of a spec: key order must not make two equal specs look different.
import crypto from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
        .map((k) => [k, canonical(obj[k])]),
    );
  }
  return value;
}

/** sha256 hex of the value's canonical JSON (sorted keys, undefined members dropped). */
export function specHash(spec: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(canonical(spec))).digest('hex');
}
