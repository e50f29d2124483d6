// A worker's site policy: the YAML file its owner writes (`sluice worker --policy FILE`, or
// SLUICE_WORKER_POLICY), validated at start so a bad policy stops the worker with the path of the
// error. Without a file a worker still protects itself: `$secret` cannot name its own
// configuration, files stay under SLUICE_DATA_DIR and its staging directory, and link-local and
// cloud metadata addresses are never reachable.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { formatPath } from '../dag/path.js';
import { parseEgressRule, type EgressRule, type SitePolicy } from '../kit/access.js';
import { workerOf } from '../dag/vocabulary.js';

const secretGlob = z.string().regex(/^[A-Za-z_*?][A-Za-z0-9_*?]*$/, 'expected an environment variable name or glob like ORDERS_DB or DW_*');
const egressRule = z.string().transform((text, ctx) => {
  try {
    return parseEgressRule(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const policyFileSchema = z.strictObject({
  /** Environment variables `$secret` may name (globs); default: any but the worker's own configuration. */
  secrets: z.array(secretGlob).max(1000).optional(),
  /** Roots nodes may read and write under; default: SLUICE_DATA_DIR and the staging directory. */
  files: z.strictObject({ read: z.array(z.string().min(1)).max(100).default([]), write: z.array(z.string().min(1)).max(100).default([]) }).optional(),
  /** Hosts (globs) or CIDR blocks, each with an optional :port; default: anywhere but link-local and metadata addresses. */
  egress: z.array(egressRule).max(1000).optional(),
  /** Node types (globs) that may run on this worker; default: all. */
  nodeTypes: z.array(z.string().regex(/^[a-z0-9_*?]+(\.[a-z0-9_*?]+)?$/, 'expected a node type or glob like postgres.* ')).max(1000).optional(),
  /** `ship: false` keeps the nodes' log lines on this worker: none go to the API (SLUICE_API_URL). Default true. */
  logs: z.strictObject({ ship: z.boolean() }).optional(),
});

/**
 * No limits but the ones every worker keeps (the worker's own configuration as secrets, metadata
 * addresses): for `sluice check --local`, where the shell's user checks their own machine, and tests.
 */
export function unrestrictedPolicy(owner: string): SitePolicy {
  return { owner, secrets: null, files: { read: [path.parse(process.cwd()).root], write: [path.parse(process.cwd()).root] }, egress: null, nodeTypes: null };
}

export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

/** A root as a real absolute path (the path itself when it does not exist yet). */
function realRoot(p: string, base: string): string {
  const abs = path.resolve(base, p);
  try {
    return fs.realpathSync(abs);
  } catch {
    return abs;
  }
}

export interface PolicyOptions {
  /** The policy file; none: the defaults. */
  file?: string | undefined;
  site?: string | undefined;
  /** SLUICE_DATA_DIR, the default root for files. */
  dataDir: string;
  /** Local staging directory, always readable and writable (datasets live there). */
  stagingDir: string;
}

export function loadPolicy(options: PolicyOptions): SitePolicy {
  const owner = workerOf(options.site).replace(/^the worker of /, '');
  const defaults = [realRoot(options.dataDir, process.cwd()), realRoot(options.stagingDir, process.cwd())];
  if (!options.file) return { owner, secrets: null, files: { read: defaults, write: defaults }, egress: null, nodeTypes: null };
  let text: string;
  try {
    text = fs.readFileSync(options.file, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`policy file ${options.file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text, { maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new PolicyFileError(`policy file ${options.file}: ${(err as Error).message}`);
  }
  const parsed = policyFileSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${formatPath(i.path.filter((s): s is string | number => typeof s !== 'symbol')) || '(root)'}: ${i.message}`);
    throw new PolicyFileError(`policy file ${options.file} is invalid:\n  ${lines.join('\n  ')}`);
  }
  const p = parsed.data;
  const base = path.dirname(path.resolve(options.file));
  const staging = realRoot(options.stagingDir, process.cwd());
  const roots = (list: readonly string[] | undefined) => (list === undefined ? defaults : [...list.map((r) => realRoot(r, base)), staging]);
  return {
    owner,
    secrets: p.secrets ?? null,
    files: { read: roots(p.files?.read), write: roots(p.files?.write) },
    egress: (p.egress as EgressRule[] | undefined) ?? null,
    nodeTypes: p.nodeTypes ?? null,
    shipLogs: p.logs?.ship ?? true,
  };
}
