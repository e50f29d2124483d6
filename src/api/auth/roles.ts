// Who may do what. Every route names its action; an action needs a role, and each role may do
// everything the roles before it may: viewer < operator < author < admin.
import picomatch from 'picomatch';
import { ROLES, type Role } from '../../store/types.js';

export { ROLES, type Role };

export const ACTIONS = {
  'pipeline.list': 'viewer',
  'pipeline.read': 'viewer',
  'run.list': 'viewer',
  'run.read': 'viewer',
  'run.nodes': 'viewer',
  'run.logs': 'viewer',
  'run.rejected': 'viewer',
  // Only site keys, whatever their role (authorize): a worker sending its own site's log lines.
  'log.ingest': 'viewer',
  'openapi.read': 'viewer',
  // Who the caller is (GET /whoami): the console hides what the role may not do.
  'caller.read': 'viewer',
  'payload.decode': 'viewer',
  'schedule.list': 'viewer',
  'schedule.read': 'viewer',
  'run.start': 'operator',
  'run.pause': 'operator',
  'run.resume': 'operator',
  'run.cancel': 'operator',
  'run.retry': 'operator',
  'payload.encode': 'operator',
  'schedule.create': 'operator',
  'schedule.update': 'operator',
  'schedule.delete': 'operator',
  'schedule.pause': 'operator',
  'schedule.unpause': 'operator',
  'schedule.trigger': 'operator',
  'schedule.backfill': 'operator',
  'pipeline.create': 'author',
  'pipeline.check': 'author',
  'key.create': 'admin',
  'key.list': 'admin',
  'key.revoke': 'admin',
  'audit.read': 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof ACTIONS;

export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Who is calling: a key, an OIDC subject, or everyone (SLUICE_AUTH=off). */
export interface Principal {
  kind: 'key' | 'oidc' | 'anonymous';
  /** Key id or OIDC subject; null when anonymous. */
  id: string | null;
  name: string | null;
  role: Role;
  /** Pipeline-name globs; null: every pipeline. */
  pipelines: readonly string[] | null;
  /** A site key's site: it may send that site's log lines and do nothing else. */
  site?: string;
}

/** Whether `principal` may see and act on pipeline `name` (and its runs). */
export function inScope(principal: Principal, name: string): boolean {
  if (principal.pipelines === null) return true;
  return principal.pipelines.some((glob) => picomatch.isMatch(name, glob));
}
