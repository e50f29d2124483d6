// Holds the API to its OpenAPI document in every test that calls it: each answer of a documented
// route must have a status the document lists for that operation and a JSON body that fits the
// schema it gives; an undocumented route may only refuse (4xx). So the document, the server and
// the typed client generated from the document (src/api/client) cannot drift apart unnoticed.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Catalog } from '../../src/dag/catalog.js';
import { openApiDocument } from '../../src/api/openapi.js';

type Json = Record<string, any>;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  op: Json;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

export class ApiConformance {
  private readonly routes: Route[];
  private readonly ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(catalog: Catalog) {
    const doc = openApiDocument(catalog) as Json;
    this.ajv.addSchema({ $id: 'sluice', components: doc.components });
    this.routes = Object.entries(doc.paths as Json).flatMap(([template, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({
        method,
        template,
        // Path parameters match one segment; literal segments win over a parameter (`/runs/x/logs` is not `/runs/{runId}`).
        // Express routes without strict routing: a trailing slash reaches the same route.
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
        op: item[method],
      })),
    );
  }

  /** The documented operation a request reaches, if any. */
  route(method: string, path: string): Route | undefined {
    const bare = path.split('?')[0]!;
    return this.routes.find((r) => r.method === method.toLowerCase() && r.pattern.test(bare));
  }

  /** Why the answer breaks the document, or null when it keeps it. */
  check(method: string, path: string, status: number, contentType: string | null, body: unknown): string | null {
    const at = `${method.toUpperCase()} ${path.split('?')[0]}`;
    const route = this.route(method, path);
    // A CORS preflight (OPTIONS) is the protocol's, not an operation.
    if (!route) return status >= 200 && status < 300 && method.toUpperCase() !== 'OPTIONS' ? `${at} answered ${status} but the OpenAPI document has no such operation` : null;
    const where = `${method.toUpperCase()} ${route.template}`;
    // A 500 is never documented; it must still be a problem (the tests of internal failures check its words).
    const answer = route.op.responses[String(status)] ?? (status === 500 ? { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } : undefined);
    if (!answer) return `${where} answered ${status}, which the OpenAPI document does not list (it lists ${Object.keys(route.op.responses).join(', ')})`;
    const media = (contentType ?? '').split(';')[0]!.trim();
    if (!media || status === 204) return null;
    const content = answer.content?.[media];
    if (!content) return `${where} ${status} answered ${media}, which the OpenAPI document does not list for it`;
    if (!media.endsWith('json')) return null;
    const key = `${route.template} ${route.method} ${status} ${media}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(JSON.parse(JSON.stringify(content.schema).replaceAll('"#/components/', '"sluice#/components/')));
      this.validators.set(key, validate);
    }
    if (validate(body)) return null;
    const e = validate.errors![0]!;
    return `${where} ${status}: the body does not fit the OpenAPI document at ${e.instancePath || '(body)'}: ${e.message} ${JSON.stringify(e.params)}`;
  }
}
