import { z } from 'zod';
import type { Catalog, NodeTypeDef } from './catalog.js';
import { SECRET_NAME_PATTERN } from './secret.js';
import { pipelineSpecSchema } from './spec.js';

type JsonSchema = { [key: string]: unknown };

const OPTIONS = { io: 'input', target: 'draft-2020-12' } as const;
const SECRET_REF = { $ref: '#/$defs/secretRef' };
const TEMPLATE = { $ref: '#/$defs/template' };

/**
 * JSON Schema (draft 2020-12) of the spec as people write it, with each node's `config` described by its type,
 * so YAML and JSON editors can complete and check specs. Any config value may also be a secret ref or a template.
 */
export function pipelineJsonSchema(catalog: Catalog): object {
  const root = z.toJSONSchema(pipelineSpecSchema, OPTIONS) as JsonSchema;
  const defs: JsonSchema = {
    secretRef: {
      description: 'Resolved on the worker that runs the node, from its environment variable of this name.',
      type: 'object',
      properties: { $secret: { type: 'string', pattern: SECRET_NAME_PATTERN.source } },
      required: ['$secret'],
      additionalProperties: false,
    },
    template: {
      description: 'A {{ }} lookup (params.<name>, nodes.<id>.outputs.<field>, run.id, run.pipeline) resolved at run time.',
      type: 'string',
      pattern: '^\\{\\{[^{}]*\\}\\}$',
    },
    ...(root.$defs as JsonSchema | undefined),
  };
  const defsList = [...catalog.values()];
  const node = child(child(child(root, 'properties'), 'nodes'), 'items');
  child(node, 'properties').type = {
    description: 'The node type, <connector>.<verb>.',
    anyOf: defsList.map((def) => ({ const: def.type, description: def.description })),
  };
  node.allOf = defsList.map((def) => ({
    if: { properties: { type: { const: def.type } }, required: ['type'] },
    then: { properties: { config: configSchema(def, defs) } },
  }));
  return { title: 'Sluice pipeline spec (v1)', ...root, $defs: defs };
}

function configSchema(def: NodeTypeDef, defs: JsonSchema): JsonSchema {
  const { $schema: _, $defs, ...schema } = z.toJSONSchema(def.config, OPTIONS) as JsonSchema;
  // Shared sub-schemas of a config move to the root as `<type>.<name>` (zod names them `__schema0`
  // and so on in every config, so the type keeps two configs' from overwriting each other).
  const rename = (ref: unknown): unknown => (typeof ref === 'string' && ref.startsWith('#/$defs/') ? `#/$defs/${def.type}.${ref.slice(8)}` : ref);
  for (const [name, sub] of Object.entries(($defs as JsonSchema | undefined) ?? {})) defs[`${def.type}.${name}`] = mapRefs(sub, rename);
  return { description: def.description, ...allowPlaceholders(mapRefs(schema, rename) as JsonSchema) };
}

// Wraps every value position (properties, items, additionalProperties) so a secret ref or a template fits it.
function allowPlaceholders(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  for (const key of ['properties', 'patternProperties'] as const) {
    const props = schema[key];
    if (isSchema(props)) out[key] = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valuePosition(v)]));
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const v = schema[key];
    if (isSchema(v) && Object.keys(v).length > 0) out[key] = valuePosition(v);
  }
  if (Array.isArray(schema.prefixItems)) out.prefixItems = schema.prefixItems.map(valuePosition);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) out[key] = list.map((s) => (isSchema(s) ? allowPlaceholders(s) : s));
  }
  return out;
}

function valuePosition(v: unknown): unknown {
  if (!isSchema(v)) return v;
  const { description, default: dflt } = v;
  return {
    ...(description === undefined ? {} : { description }),
    ...(dflt === undefined ? {} : { default: dflt }),
    anyOf: [allowPlaceholders(v), SECRET_REF, TEMPLATE],
  };
}

function mapRefs(value: unknown, rename: (ref: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapRefs(v, rename));
  if (!isSchema(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' ? rename(v) : mapRefs(v, rename)]));
}

function child(schema: JsonSchema, key: string): JsonSchema {
  const v = schema[key];
  if (!isSchema(v)) throw new Error(`JSON Schema of the spec has no "${key}" object`);
  return v;
}

function isSchema(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
