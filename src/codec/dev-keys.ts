// `sluice dev` encrypts payloads like production should, with a key of its own kept in its data
// directory (mode 0600), so a restart still decodes the runs of earlier starts. Keys set in
// SLUICE_PAYLOAD_KEYS come first (the first of them encrypts); the dev key stays as a decrypting one.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { newPayloadKeyEntry, parsePayloadKeys, PAYLOAD_KEYS_VARIABLE } from './keys.js';

export const DEV_KEYS_FILE = 'payload-keys';

/** Entries of the dev key file, made on first use; throws naming the file when it is unreadable as keys. */
function devKeyEntries(dataDir: string, create: boolean): string[] {
  const file = path.join(dataDir, DEV_KEYS_FILE);
  if (!fs.existsSync(file)) {
    if (!create) return [];
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, `${newPayloadKeyEntry(`dev-${crypto.randomBytes(4).toString('hex')}`)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another start made it a moment ago: use that one.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const entries = fs.readFileSync(file, 'utf8').split(/[\n,]/).map((e) => e.trim()).filter(Boolean);
  const parsed = parsePayloadKeys(entries.join(','));
  if (!parsed.ok) throw new Error(`${file} does not hold payload keys (${parsed.errors.join('; ')}); remove it to make a new one, and runs encrypted with it become unreadable`);
  return entries;
}

/**
 * The SLUICE_PAYLOAD_KEYS value for `sluice dev`: the ones set in the environment first, then the
 * dev key file's (made when no keys are set), leaving out ids already given.
 */
export function devPayloadKeys(dataDir: string, fromEnv: string | undefined): string {
  const given = fromEnv?.trim() ? fromEnv.split(',').map((e) => e.trim()) : [];
  const ids = new Set(given.map((e) => e.slice(0, e.indexOf(':'))));
  const dev = devKeyEntries(dataDir, given.length === 0).filter((e) => !ids.has(e.slice(0, e.indexOf(':'))));
  const value = [...given, ...dev].join(',');
  if (!value) throw new Error(`no payload keys: set ${PAYLOAD_KEYS_VARIABLE}`);
  return value;
}
