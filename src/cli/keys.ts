// `sluice keys create | list | revoke`: API keys straight in the metadata database (DATABASE_URL),
// so an operator can make the first admin key before the API ever starts. Opening the store
// applies the migrations, so this works on a fresh database too.
import { issueKey } from '../api/auth/keys.js';
import { createKeyBody } from '../api/schemas.js';
import { logSiteName } from '../api/log-schemas.js';
import { loadConfig, metadataDbTimeoutsOf } from '../config.js';
import { createStore } from '../store/store.js';
import type { ApiKeyRecord, Store } from '../store/types.js';

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set: point it at the metadata database the API uses');
  const store = await createStore(config.DATABASE_URL, { maxConnections: 1, timeouts: metadataDbTimeoutsOf(config) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export interface CreateKeyOptions {
  name: string;
  /** Required unless `site` is given. */
  role?: string | undefined;
  pipelines: string[];
  expires?: string | undefined;
  /** A site key (`--site`): it may only send that site's log lines. */
  site?: string | undefined;
}

/** Prints the key's details, then the key itself as the last line of stdout (the only time it is shown). */
export async function createKeyCommand(opts: CreateKeyOptions): Promise<void> {
  if (opts.site !== undefined) {
    const site = logSiteName.safeParse(opts.site);
    if (!site.success) throw new Error(`--site: ${site.error.issues[0]!.message}`);
    if (opts.role !== undefined || opts.pipelines.length > 0) throw new Error('--site: a site key has no role or pipelines (it may only send its site\'s log lines); leave out --role and --pipelines');
  } else if (opts.role === undefined) {
    throw new Error('--role: required (viewer, operator, author or admin), unless --site makes a site key');
  }
  const parsed = createKeyBody.safeParse({
    name: opts.name,
    role: opts.role ?? 'viewer',
    ...(opts.pipelines.length > 0 ? { pipelines: opts.pipelines } : {}),
    ...(opts.expires === undefined ? {} : { expires: opts.expires }),
  });
  if (!parsed.success) {
    const option = (path: PropertyKey[]) => `--${String(path[0] ?? 'option')}`;
    throw new Error(parsed.error.issues.map((i) => `${option(i.path)}: ${i.message}`).join('; '));
  }
  const body = parsed.data;
  const { record, key } = await withStore((store) =>
    issueKey(store, { name: body.name, role: body.role, pipelines: body.pipelines ?? null, expiresInMs: body.expires ?? null, createdBy: 'cli', ...(opts.site ? { site: opts.site } : {}) }),
  );
  console.error(`created key ${record.id} (${record.name}, ${record.site ? `site key of ${record.site}: log lines only` : record.role}${record.pipelines ? `, pipelines ${record.pipelines.join(' ')}` : ''}${record.expiresAt ? `, expires ${record.expiresAt.toISOString()}` : ''})`);
  console.error('store it now: it is shown only this once. Send it as Authorization: Bearer <key>.');
  console.log(key);
}

function row(k: ApiKeyRecord): string {
  const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : k.expiresAt && k.expiresAt.getTime() <= Date.now() ? 'expired' : 'active';
  return [k.id, (k.site ? `site:${k.site}` : k.role).padEnd(8), state.padEnd(10), (k.pipelines ?? ['*']).join(','), k.name].join('  ');
}

export async function listKeysCommand(): Promise<void> {
  const keys = await withStore((store) => store.listKeys());
  if (keys.length === 0) console.log('no keys');
  for (const k of keys) console.log(row(k));
}

export async function revokeKeyCommand(id: string): Promise<void> {
  const revoked = await withStore((store) => store.revokeKey(id));
  if (!revoked) throw new Error(`no key ${id}`);
  console.log(`revoked ${revoked.id} (${revoked.name})`);
}
