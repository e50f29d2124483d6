// What a site's worker lets its nodes touch, checked inside the worker whatever the workflow input
// says: which secrets `$secret` may name, which file roots may be read or written (real paths, so
// a symlink cannot lead out), which hosts may be reached, and which node types may run. Connectors
// call `ctx.access` before they open a file or a connection; the engine checks secrets and types.
import dns from 'node:dns/promises';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import picomatch from 'picomatch';
import { PolicyError } from './errors.js';

/** One egress rule: a host glob or a CIDR block, with an optional port. */
export type EgressRule = { kind: 'host'; glob: string; port: number | null } | { kind: 'cidr'; address: string; prefix: number; family: 'ipv4' | 'ipv6'; port: number | null };

export interface SitePolicy {
  /** Who owns it, for messages: `site acme` or `the central workers`. */
  owner: string;
  /** Names `$secret` may use: globs, or null for any name but the worker's own configuration. */
  secrets: readonly string[] | null;
  /** Real absolute paths of the roots nodes may read and write under. */
  files: { read: readonly string[]; write: readonly string[] };
  /** Hosts nodes may reach; null: any host but link-local and cloud metadata addresses. */
  egress: readonly EgressRule[] | null;
  /** Node types (globs) that may run here; null: all. */
  nodeTypes: readonly string[] | null;
  /** false: the worker keeps its nodes' log lines and ships none to the API (policy `logs: { ship: false }`); default true. */
  shipLogs?: boolean;
}

export interface Access {
  /** The real path of `p` if the site lets nodes read it; a PolicyError naming `configPath` otherwise. */
  readPath(p: string, configPath: string): Promise<string>;
  /** The same for writing; `p` need not exist yet (its nearest existing parent is resolved). */
  writePath(p: string, configPath: string): Promise<string>;
  /** Resolves when the site lets nodes connect to `target` (a URL, or host and port). */
  egress(target: URL | { host: string; port: number }, configPath: string): Promise<void>;
}

/** Environment variables the worker reads itself: never a `$secret`, unless a policy names one exactly. */
const OWN_CONFIG = /^(TEMPORAL_|SLUICE_|AWS_|NODE_|NPM_|PG[A-Z]+$)|^(DATABASE_URL|LOG_LEVEL|PORT|HOME|PATH|USER|SHELL|PWD)$/i;

/** Never reachable: link-local (where cloud metadata services answer) and the known metadata hosts. */
const ALWAYS_DENIED = new net.BlockList();
ALWAYS_DENIED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_DENIED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_DENIED.addAddress('fd00:ec2::254', 'ipv6');
ALWAYS_DENIED.addAddress('100.100.100.200', 'ipv4');
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

function deny(policy: SitePolicy, rule: string, configPath: string): PolicyError {
  return new PolicyError(`forbidden by the policy of ${policy.owner}: ${rule} (${configPath})`);
}

/** Null when `$secret: name` is allowed here, else the rule that forbids it. */
export function secretRefusal(policy: SitePolicy, name: string): string | null {
  const listed = policy.secrets;
  if (listed?.includes(name)) return null;
  if (OWN_CONFIG.test(name)) return `secret ${name} is part of the worker's own configuration`;
  if (listed === null) return null;
  return listed.some((g) => picomatch.isMatch(name, g)) ? null : `secret ${name} is not in its secrets list`;
}

/** Null when node type `type` may run here, else the rule that forbids it. */
export function nodeTypeRefusal(policy: SitePolicy, type: string): string | null {
  if (policy.nodeTypes === null || policy.nodeTypes.some((g) => picomatch.isMatch(type, g))) return null;
  return `node type ${type} is not in its nodeTypes list`;
}

function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
async function realish(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await fs.realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(await realish(parent), path.basename(abs));
  }
}

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return ({ 'https:': 443, 'http:': 80, 'postgres:': 5432, 'postgresql:': 5432 } as Record<string, number>)[url.protocol] ?? 0;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return net.isIPv6(address) ? 'ipv6' : 'ipv4';
}

function ruleMatches(rule: EgressRule, host: string, addresses: readonly string[], port: number): boolean {
  if (rule.port !== null && rule.port !== port) return false;
  if (rule.kind === 'host') return picomatch.isMatch(host.toLowerCase(), rule.glob.toLowerCase());
  const block = new net.BlockList();
  block.addSubnet(rule.address, rule.prefix, rule.family);
  return addresses.length > 0 && addresses.every((a) => block.check(a, familyOf(a)));
}

/** How long an allowed host:port stays allowed without a new lookup. */
const EGRESS_MEMO_MS = 30_000;

export function accessFor(policy: SitePolicy): Access {
  const allowedUntil = new Map<string, number>();
  const check = async (p: string, roots: readonly string[], what: 'read' | 'write', configPath: string): Promise<string> => {
    const real = await realish(p);
    if (!roots.some((root) => within(root, real))) throw deny(policy, `files.${what} does not include this path`, configPath);
    return real;
  };
  return {
    readPath: (p, configPath) => check(p, policy.files.read, 'read', configPath),
    writePath: (p, configPath) => check(p, policy.files.write, 'write', configPath),
    async egress(target, configPath) {
      const host = (target instanceof URL ? target.hostname : target.host).replace(/^\[|\]$/g, '');
      const port = target instanceof URL ? portOf(target) : target.port;
      // A paged read asks for the same host on every page: an allowed host is looked up once a while.
      const key = `${host.toLowerCase()}:${port}`;
      if ((allowedUntil.get(key) ?? 0) > Date.now()) return;
      await checkEgress(host, port, configPath);
      if (allowedUntil.size >= 1000) allowedUntil.clear();
      allowedUntil.set(key, Date.now() + EGRESS_MEMO_MS);
    },
  };

  async function checkEgress(host: string, port: number, configPath: string): Promise<void> {
    if (host === '' || METADATA_HOSTS.has(host.toLowerCase())) throw deny(policy, 'cloud metadata hosts are never reachable', configPath);
    let addresses: string[];
    try {
      addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
    } catch {
      // Unresolvable: the connection would fail anyway; rules on names still apply.
      addresses = [];
    }
    if (addresses.some((a) => ALWAYS_DENIED.check(a, familyOf(a)))) throw deny(policy, 'link-local and cloud metadata addresses are never reachable', configPath);
    if (policy.egress === null) return;
    if (!policy.egress.some((rule) => ruleMatches(rule, host, addresses, port))) throw deny(policy, 'egress does not allow this host', configPath);
  }
}

/** Parses one egress rule as a policy file writes it (`*.acme.internal`, `10.1.0.0/16:5432`, `db:5432`); throws a message on a bad one. */
export function parseEgressRule(text: string): EgressRule {
  const m = /^(\[[^\]]+\]|[^:\[\]]+(?:\/\d{1,3})?|[0-9a-f:]+\/\d{1,3})(?::(\d{1,5}))?$/i.exec(text.trim());
  if (!m) throw new Error(`expected a host glob or CIDR with an optional :port, like *.acme.internal or 10.1.0.0/16:5432`);
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) throw new Error(`port ${port} is out of range`);
  const body = m[1]!.replace(/^\[|\]$/g, '');
  const cidr = /^(.+)\/(\d{1,3})$/.exec(body);
  if (cidr) {
    const address = cidr[1]!;
    const family = net.isIPv6(address) ? 'ipv6' : net.isIPv4(address) ? 'ipv4' : null;
    const prefix = Number(cidr[2]);
    if (!family || prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`${body} is not a CIDR block`);
    return { kind: 'cidr', address, prefix, family, port };
  }
  if (net.isIP(body)) return { kind: 'cidr', address: body, prefix: net.isIPv6(body) ? 128 : 32, family: familyOf(body), port };
  if (!/^[a-z0-9*?.-]+$/i.test(body)) throw new Error(`${body} is not a host name or glob`);
  return { kind: 'host', glob: body, port };
}
