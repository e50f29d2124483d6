import type { Catalog } from './catalog.js';
import { codeTemplateIssues, credentialIssues } from './credential.js';
import { isRecord, type Draft, type DraftNode } from './draft.js';
import type { ValidationIssue } from './issue.js';
import { appendPath, formatPath } from './path.js';
import { SECRET_NAME_PATTERN } from './secret.js';
import { NODE_TYPE_PATTERN } from './spec.js';
import { singleTemplate } from './template.js';
import { parseReadable, valueAt, type Segments } from './zod-issues.js';

/** Unknown node types, malformed secret refs, and config that does not fit its node type's schema. */
export function checkConfigs(draft: Draft, catalog: Catalog): ValidationIssue[] {
  return draft.nodes.flatMap((node) => [...checkType(node, catalog), ...checkSecrets(node), ...checkConfig(node, catalog), ...checkCredentials(node, catalog)]);
}

/** Literal credentials where the node type's schema expects `{ $secret }`. */
function checkCredentials(node: DraftNode, catalog: Catalog): ValidationIssue[] {
  const def = node.type === undefined ? undefined : catalog.get(node.type);
  if (def === undefined || node.config === undefined) return [];
  const base = formatPath(['nodes', node.index, 'config']);
  return [...credentialIssues(def.config, node.config, base), ...codeTemplateIssues(def.config, node.config, base)];
}

function checkType(node: DraftNode, catalog: Catalog): ValidationIssue[] {
  // A type of the wrong form is already a shape error; only well-formed unknown types are reported here.
  if (node.type === undefined || !NODE_TYPE_PATTERN.test(node.type) || catalog.has(node.type)) return [];
  const known = [...catalog.keys()].sort().join(', ');
  return [{ path: formatPath(['nodes', node.index, 'type']), message: `unknown node type "${node.type}"; known types: ${known}` }];
}

function checkSecrets(node: DraftNode): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const visit = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((item, i) => visit(item, appendPath(path, i)));
    else if (isRecord(v) && Object.hasOwn(v, '$secret')) {
      const name = v.$secret;
      const extra = Object.keys(v).filter((k) => k !== '$secret');
      if (extra.length > 0) issues.push({ path, message: `a secret reference holds only "$secret"; remove ${extra.map((k) => `"${k}"`).join(', ')}` });
      if (typeof name !== 'string' || !SECRET_NAME_PATTERN.test(name)) {
        const shown = typeof name === 'string' ? `"${name}"` : String(JSON.stringify(name));
        issues.push({
          path: appendPath(path, '$secret'),
          message: `invalid secret name ${shown}: use upper-case letters, digits and _ (like ORDERS_DB)`,
        });
      }
    } else if (isRecord(v)) for (const [k, item] of Object.entries(v)) visit(item, appendPath(path, k));
  };
  visit(node.config, formatPath(['nodes', node.index, 'config']));
  return issues;
}

function checkConfig(node: DraftNode, catalog: Catalog): ValidationIssue[] {
  const def = node.type === undefined ? undefined : catalog.get(node.type);
  if (def === undefined || node.config === undefined) return [];
  const config = node.config;
  const result = parseReadable(def.config, config);
  if (result.success) return [];
  return result.issues
    .filter((issue) => !atPlaceholder(config, issue.unknownKey ? issue.segments.slice(0, -1) : issue.segments))
    .map((issue) => ({ path: formatPath(['nodes', node.index, 'config', ...issue.segments]), message: issue.message }));
}

// A secret ref or a single `{{ }}` template takes its real type at run time, so what zod says about it (or
// about anything inside it) is not yet known to be wrong. A key that should not exist is wrong whatever its value.
function atPlaceholder(config: Record<string, unknown>, segments: Segments): boolean {
  for (let i = 1; i <= segments.length; i++) {
    const v = valueAt(config, segments.slice(0, i));
    if (isRecord(v) && Object.hasOwn(v, '$secret')) return true;
    if (typeof v === 'string' && singleTemplate(v) !== null) return true;
  }
  return false;
}
