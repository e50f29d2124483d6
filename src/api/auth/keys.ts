// API keys: `sk_<id>_<secret>`. The id finds the key's row; only a scrypt hash of the secret is
// stored, and it is compared in constant time. scrypt runs on libuv's thread pool, so checking a
// key never holds the event loop; a key already verified by this process is checked against an
// in-memory SHA-256 of its secret instead of paying scrypt on every request.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { ApiKeyRecord, KeyStore, Role } from '../../store/types.js';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

/** scrypt cost: N=2^14, r=8, p=1 (about 16 MiB and tens of ms), the hash 32 bytes. */
const COST = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const HASH_BYTES = 32;
const KEY_PATTERN = /^sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** Verified secrets kept in memory (by key id) before the oldest is forgotten. */
const VERIFIED_MAX = 1000;

export interface NewKey {
  id: string;
  /** The whole key, shown once. */
  key: string;
  hash: string;
}

/** A fresh key: 64 bits of id, 256 bits of secret. */
export async function generateKey(): Promise<NewKey> {
  const id = crypto.randomBytes(8).toString('hex');
  const secret = crypto.randomBytes(32).toString('base64url');
  return { id, key: `sk_${id}_${secret}`, hash: await hashSecret(secret) };
}

/** The id and secret of a well-formed key, or null. */
export function parseKey(key: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(secret, salt, HASH_BYTES, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const verified = new Map<string, Buffer>();

function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

/** True when `secret` matches `stored` (a hashSecret result). */
export async function verifySecret(id: string, secret: string, stored: string): Promise<boolean> {
  const known = verified.get(id);
  if (known && crypto.timingSafeEqual(known, sha256(`${stored}\n${secret}`))) return true;
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: COST.maxmem });
  if (actual.length !== expected.length || !crypto.timingSafeEqual(actual, expected)) return false;
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  // Tied to the stored hash too, so a key re-made under the same id is verified afresh.
  verified.set(id, sha256(`${stored}\n${secret}`));
  return true;
}

/** What a new key may be limited to. */
export interface KeyRequest {
  name: string;
  role: Role;
  pipelines: string[] | null;
  /** Lifetime in ms; null: no expiry. */
  expiresInMs: number | null;
  /** Who asks: a key id, an OIDC subject, `cli` or `sluice dev`. */
  createdBy: string;
  /** A site key: it may only send this site's log lines (its role and scope then grant nothing). */
  site?: string;
}

/** Makes and stores a key; the returned `key` is the only time it exists outside the caller's hands. */
export async function issueKey(store: KeyStore, req: KeyRequest): Promise<{ record: ApiKeyRecord; key: string }> {
  const made = await generateKey();
  const record = await store.insertKey({
    id: made.id,
    name: req.name,
    // A site key reads nothing: the weakest role and an empty scope, besides the checks on `site`.
    ...(req.site ? { role: 'viewer' as const, pipelines: [], site: req.site } : { role: req.role, pipelines: req.pipelines }),
    hash: made.hash,
    createdBy: req.createdBy,
    expiresAt: req.expiresInMs === null ? null : new Date(Date.now() + req.expiresInMs),
  });
  return { record, key: made.key };
}
