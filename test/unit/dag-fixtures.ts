// Shared inputs of the src/dag tests (not itself a test file).
import { catalog } from '../../src/catalog.js';
import { validatePipeline } from '../../src/dag/validate.js';

/** The example of DESIGN.md "Pipeline spec (v1)", verbatim. */
export const DESIGN_EXAMPLE_YAML = `name: orders-daily            # [a-z0-9-]+, the registry key
params: { since: { type: string, default: "2024-01-01" } }
defaults: { retry: { maximumAttempts: 5, initialInterval: 1s, backoffCoefficient: 2 }, timeout: 10m }
maxParallel: 8
nodes:
  - id: extract               # unique within the pipeline
    type: postgres.read       # <connector>.<verb>
    site: acme-dc1            # optional: run on that site's workers
    config: { connection: { $secret: ORDERS_DB }, query: "select * from orders where updated_at > $1", params: ["{{ params.since }}"] }
  - id: clean
    type: transform.map
    needs: [extract]
    config: { rename: { order_id: id }, cast: { amount: float } }
  - id: load
    type: postgres.write
    needs: [clean]
    retry: { maximumAttempts: 10 }
    config: { connection: { $secret: DW }, table: dw.orders, mode: upsert, key: [id] }
`;

export const PG = 'postgres://etl@db:5432/orders';

export function readNode(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'postgres.read', config: { connection: PG, query: 'select 1' }, ...extra };
}

export function writeNode(id: string, needs: string[], config: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'postgres.write', needs, config: { connection: PG, table: 'dw.orders', ...config } };
}

export function sleepNode(id: string, needs: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'control.sleep', needs, config: { ms: 10 }, ...extra };
}

/** A spec with the given nodes and otherwise valid defaults. */
export function spec(nodes: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'test-pipeline', nodes, ...extra };
}

/** The validator's errors as `path: message` lines; an empty list when the spec is valid. */
export function errorsOf(input: unknown): string[] {
  const result = validatePipeline(input, catalog);
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}
