// The OpenAPI document as tools see it: a maintained validator accepts it (and refuses a dangling
// reference), its examples fit their schemas, each operation is named and says how it fails, and
// the committed generated types (src/api/client/schema.ts) and pipeline JSON Schema are current.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { catalog } from '../../src/catalog.js';
import { pipelineJsonSchema } from '../../src/dag/json-schema.js';
import { API_TYPES_FILE, renderApiTypes } from '../../scripts/api-types.js';

type Json = Record<string, any>;
const doc = openApiDocument(catalog) as Json;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

function operations(): { method: string; path: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })));
}

test('the document passes @apidevtools/swagger-parser: OpenAPI 3.1, every $ref resolves', async () => {
  const api = (await SwaggerParser.validate(structuredClone(doc) as never)) as Json;
  assert.equal(api.openapi, '3.1.0');
  // Dereferenced: the spec body's node config reached through components.
  const spec = (await SwaggerParser.dereference(structuredClone(doc) as never)) as Json;
  assert.ok(spec.paths['/api/v1/pipelines'].post.requestBody.content['application/json'].schema.properties.nodes.items);
});

test('the validator refuses a dangling reference, as tools and client generators would', async () => {
  const broken = structuredClone(doc);
  broken.components.schemas['Run'].properties.pipeline = { $ref: '#/$defs/secretRef' };
  await assert.rejects(SwaggerParser.validate(broken as never), /Missing \$ref pointer "#\/\$defs\/secretRef"/);
});

test('no schema in the document refers outside components (no #/$defs left from the JSON Schemas)', () => {
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(refs.length > 50);
  for (const ref of new Set(refs)) {
    assert.match(ref, /^#\/components\/schemas\//, ref);
    const name = decodeURIComponent(ref.slice('#/components/schemas/'.length));
    assert.ok(doc.components.schemas[name], `${ref} resolves`);
  }
});

test('every example fits its schema (request bodies, responses, problems)', () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'sluice', components: doc.components });
  let checked = 0;
  const visit = (value: unknown, where: string) => {
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${where}[${i}]`));
    if (typeof value !== 'object' || value === null) return;
    const media = value as Json;
    if (media.schema && media.example !== undefined && typeof media.example !== 'string') {
      const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"sluice#/components/'));
      const ok = ajv.validate(schema, media.example);
      assert.ok(ok, `${where}: ${ajv.errorsText(ajv.errors)}`);
      checked++;
    }
    for (const [k, v] of Object.entries(media)) visit(v, `${where}.${k}`);
  };
  visit(doc.paths, 'paths');
  assert.ok(checked >= 8, `${checked} examples checked`);
});

test('each operation has a unique id, a tag, a summary, and lists its problem answers (401/403 unless public)', () => {
  const ids = new Set<string>();
  for (const { method, path, op } of operations()) {
    const at = `${method.toUpperCase()} ${path}`;
    assert.ok(op.operationId && !ids.has(op.operationId), `${at}: unique operationId`);
    ids.add(op.operationId);
    assert.equal(op.tags?.length, 1, at);
    assert.ok(doc.tags.some((t: Json) => t.name === op.tags[0]), `${at}: tag declared`);
    assert.ok(op.summary, at);
    const codes = Object.keys(op.responses);
    assert.ok(codes.some((c) => /^2/.test(c)), `${at}: a success answer`);
    assert.ok(codes.includes('400'), `${at}: 400`);
    const open = Array.isArray(op.security) && op.security.length === 0;
    if (!open) for (const c of ['401', '403', '429']) assert.ok(codes.includes(c), `${at}: ${c}`);
    for (const [code, r] of Object.entries(op.responses as Json)) {
      if (/^[45]/.test(code)) assert.deepEqual(r.content['application/problem+json'].schema, { $ref: '#/components/schemas/Problem' }, `${at} ${code}`);
    }
  }
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearer.description });
  assert.deepEqual(doc.paths['/healthz'].get.security, []);
});

test('the committed client types are generated from the current document (npm run api:types)', async () => {
  const committed = fs.readFileSync(API_TYPES_FILE, 'utf8');
  assert.ok(committed === (await renderApiTypes()), 'src/api/client/schema.ts is stale: run `npm run api:types` and commit it');
});

test('the committed pipeline JSON Schema is current (npm run schema)', () => {
  const committed = JSON.parse(fs.readFileSync(new URL('../../schema/pipeline.schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(committed, JSON.parse(JSON.stringify(pipelineJsonSchema(catalog))), 'schema/pipeline.schema.json is stale: run `npm run schema` and commit it');
});
