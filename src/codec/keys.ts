// The keys that encrypt Temporal payloads, from one variable: SLUICE_PAYLOAD_KEYS=kid1:base64,kid0:base64.
// The first key encrypts, every key decrypts, so a key is rotated by putting a new one first and
// keeping the old ones for as long as runs encrypted with them must stay readable. Errors name
// the variable and the entry, never a key's bytes, and the keyring never prints its keys.
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';

export const PAYLOAD_KEYS_VARIABLE = 'SLUICE_PAYLOAD_KEYS';
export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/;

/** AES-256 keys by id; the first one encrypts. Prints and serializes as its ids only. */
export class PayloadKeyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** Id of the key new payloads are encrypted with. */
  readonly encryptingKeyId: string;

  constructor(entries: readonly (readonly [string, Buffer])[]) {
    const first = entries[0];
    if (!first) throw new Error('a payload keyring needs at least one key');
    this.encryptingKeyId = first[0];
    this.#keys = new Map(entries);
  }

  /** Every key id, the encrypting one first. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { encryptingKeyId: string; ids: string[] } {
    return { encryptingKeyId: this.encryptingKeyId, ids: this.ids };
  }

  [inspect.custom](): string {
    return `PayloadKeyring(${this.ids.join(', ')})`;
  }
}

export type ParsedKeys = { ok: true; keyring: PayloadKeyring } | { ok: false; errors: string[] };

/** Parses `kid:base64key,...`; each error names the entry (by position or key id), never the key. */
export function parsePayloadKeys(text: string): ParsedKeys {
  const errors: string[] = [];
  const entries: [string, Buffer][] = [];
  const parts = text.split(',').map((p) => p.trim());
  parts.forEach((part, i) => {
    const at = part.indexOf(':');
    if (at < 0) {
      errors.push(`entry ${i + 1}: expected <key id>:<base64 key>`);
      return;
    }
    const id = part.slice(0, at).trim();
    const encoded = part.slice(at + 1).trim();
    if (!KEY_ID.test(id)) {
      errors.push(`entry ${i + 1}: the key id must be 1 to 64 letters, digits, '.', '_' or '-'`);
      return;
    }
    if (entries.some(([seen]) => seen === id)) {
      errors.push(`key id ${id}: appears more than once`);
      return;
    }
    if (!BASE64.test(encoded)) {
      errors.push(`key id ${id}: the key is not base64 (make one with \`openssl rand -base64 32\`)`);
      return;
    }
    const key = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
    if (key.length !== KEY_BYTES) {
      errors.push(`key id ${id}: the key must be ${KEY_BYTES} bytes (AES-256), not ${key.length} (make one with \`openssl rand -base64 32\`)`);
      return;
    }
    entries.push([id, key]);
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, keyring: new PayloadKeyring(entries) };
}

/**
 * The SLUICE_PAYLOAD_KEYS variable: unset or blank means no encryption (undefined); anything else
 * must parse, or start-up fails naming each bad entry.
 */
export const payloadKeysSchema = z
  .string()
  .optional()
  .transform((text, ctx): PayloadKeyring | undefined => {
    if (text === undefined || text.trim() === '') return undefined;
    const parsed = parsePayloadKeys(text);
    if (parsed.ok) return parsed.keyring;
    for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });

/** A fresh `id:base64key` entry (for `sluice dev`, and for operators through the docs' command). */
export function newPayloadKeyEntry(id: string): string {
  return `${id}:${crypto.randomBytes(KEY_BYTES).toString('base64')}`;
}
