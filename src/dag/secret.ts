// No zod here: this file is bundled into the workflow sandbox through template.ts.

/** A config value that names a secret, resolved inside the activity so it never enters workflow history. */
export type SecretRef = { $secret: string };

export const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;

/** True for `{ "$secret": "<string>" }` with no other key; the name's pattern is checked by the validator. */
export function isSecretRef(v: unknown): v is SecretRef {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === '$secret' && typeof (v as { $secret: unknown }).$secret === 'string';
}
