// Check 1, for every node type: its config schema refuses what is wrong at a path a person can
// read (through the pipeline validator the API uses), and its `check` passes a good config and
// refuses a broken one quickly, with a message that names what to fix and shows no secret.
import assert from 'node:assert/strict';
import type { AnyNodeType } from '../../src/kit/index.js';
import { appendPath } from '../../src/dag/path.js';
import { validatePipeline, type ValidationIssue } from '../../src/dag/validate.js';
import { testCatalog } from '../helpers/pipelines.js';
import { connectorContext, newIdentity, nodeConfig, secretValues } from './context.js';
import type { BrokenConfig } from './fixture.js';

/** How long a check may take, good or broken: it runs before every run, so it must be quick. */
const CHECK_DEADLINE_MS = 20_000;
const NODE = 'node';

/** The problems the pipeline validator finds in the config of a node of `type` (other problems, like a sink's missing upstream, are left out). */
export function configIssues(type: string, config: unknown): ValidationIssue[] {
  const result = validatePipeline({ name: 'conformance', nodes: [{ id: NODE, type, config }] }, testCatalog);
  if (result.ok) return [];
  return result.errors.filter((e) => e.path === 'nodes[0].config' || e.path.startsWith('nodes[0].config.') || e.path.startsWith('nodes[0].config['));
}

function describeIssues(issues: ValidationIssue[]): string {
  return issues.length === 0 ? 'accepted' : issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/** A value of another JSON kind than `v`: what a typo in a pipeline file typically produces. */
function wrongKind(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? 'not the right kind of value' : { wrong: [true] };
}

/** The schema takes `good` and refuses an unknown field, each top-level field of the wrong kind, and the fixture's invalid configs, each at its path. */
export function assertSchemaRefusals(type: string, good: unknown, invalid: { config: unknown; path: string }[] = []): void {
  assert.equal(describeIssues(configIssues(type, good)), 'accepted', `${type}: the fixture's config is valid`);
  assert.ok(typeof good === 'object' && good !== null && !Array.isArray(good), `${type}: a config is an object`);
  const base = appendPath('nodes[0]', 'config');

  const unknown = configIssues(type, { ...good, conformanceUnknownField: 1 });
  const unknownPath = appendPath(base, 'conformanceUnknownField');
  assert.ok(unknown.some((i) => i.path === unknownPath), `${type}: an unknown field is refused at ${unknownPath} (typos must not be ignored); got ${describeIssues(unknown)}`);

  let refused = 0;
  for (const [field, value] of Object.entries(good)) {
    const issues = configIssues(type, { ...good, [field]: wrongKind(value) });
    // Some fields take any JSON (a request body): nothing to refuse there.
    if (issues.length === 0) continue;
    refused++;
    const path = appendPath(base, field);
    assert.ok(
      issues.every((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`)),
      `${type}: ${field} of the wrong kind is refused at ${path}; got ${describeIssues(issues)}`,
    );
    assert.ok(issues.every((i) => i.message.trim().length > 0), `${type}: every problem says what is wrong`);
  }
  assert.ok(refused > 0, `${type}: some field of the config has a type the schema enforces`);

  for (const bad of invalid) {
    const issues = configIssues(type, bad.config);
    const path = `nodes[0].${bad.path}`;
    assert.ok(issues.some((i) => i.path === path), `${type}: ${JSON.stringify(bad.config)} is refused at ${path}; got ${describeIssues(issues)}`);
  }
}

async function withDeadline<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${CHECK_DEADLINE_MS / 1000}s`)), CHECK_DEADLINE_MS);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `check` passes the good config (secrets resolved as a worker resolves them). */
export async function assertCheckPasses(type: string, node: AnyNodeType, good: unknown, secrets: Record<string, string>): Promise<void> {
  assert.ok(node.check, `${type} has a check`);
  const config = nodeConfig(node.config, good, secrets);
  await withDeadline(`${type}: check of the good config`, node.check(config, connectorContext(newIdentity('check'))));
}

/** `check` refuses `broken` in time, naming what to fix, without any secret value in its message. */
export async function assertCheckRefuses(type: string, node: AnyNodeType, broken: BrokenConfig, secrets: Record<string, string>): Promise<void> {
  assert.ok(node.check, `${type} has a check`);
  const config = nodeConfig(node.config, broken.config, secrets);
  const outcome = await withDeadline(
    `${type}: check of a config with ${broken.why}`,
    node.check(config, connectorContext(newIdentity('check'))).then(
      () => null,
      (err: unknown) => err,
    ),
  );
  assert.ok(outcome !== null, `${type}: check refuses a config with ${broken.why}`);
  assert.ok(outcome instanceof Error, `${type}: check throws an Error for ${broken.why}, not ${String(outcome)}`);
  const message = outcome.message;
  if (typeof broken.names === 'string') {
    assert.ok(message.includes(broken.names), `${type}: the message for ${broken.why} names ${broken.names}; got: ${message}`);
  } else {
    assert.match(message, broken.names, `${type}: the message for ${broken.why} names what to fix`);
  }
  for (const secret of new Set([...Object.values(secrets), ...secretValues(broken.config, secrets)])) {
    for (const form of secretForms(secret)) {
      assert.ok(!message.includes(form), `${type}: the message for ${broken.why} shows a secret value: ${message.replaceAll(form, '<secret>')}`);
    }
  }
}

/** A secret as it could leak: whole, URL-encoded, the password of a URL, or a long word of it (the token of `Bearer <token>`). */
function secretForms(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret)];
  if (/\s/.test(secret)) forms.push(...secret.split(/\s+/).filter((w) => w.length >= 8));
  try {
    const password = new URL(secret).password;
    if (password !== '') forms.push(password, decodeURIComponent(password));
  } catch {
    // not a URL
  }
  return [...new Set(forms)];
}
