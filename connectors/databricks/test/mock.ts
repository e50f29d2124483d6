// A Databricks SQL Statement Execution API 2.0 stand-in on 127.0.0.1, with the real request and
// response shapes: POST /api/2.0/sql/statements, GET .../statements/{id}, GET .../result/chunks/{n},
// POST .../cancel, and GET /api/2.0/sql/warehouses/{id}. Statements follow a script chosen by
// their SQL text: a number of polls in PENDING and RUNNING, then SUCCEEDED with the scripted
// chunks, or FAILED with an error. Every request is logged so tests can assert what was called.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockColumn {
  name: string;
  type_name: string;
  type_text: string;
}

/** One column of every Databricks type the connector maps, as the mock's result manifest lists them. */
export const ALL_TYPE_COLUMNS: MockColumn[] = [
  { name: 'id', type_name: 'LONG', type_text: 'BIGINT' },
  { name: 'qty', type_name: 'INT', type_text: 'INT' },
  { name: 'amount', type_name: 'DECIMAL', type_text: 'DECIMAL(38,9)' },
  { name: 'ratio', type_name: 'DOUBLE', type_text: 'DOUBLE' },
  { name: 'ok', type_name: 'BOOLEAN', type_text: 'BOOLEAN' },
  { name: 'day', type_name: 'DATE', type_text: 'DATE' },
  { name: 'at', type_name: 'TIMESTAMP', type_text: 'TIMESTAMP' },
  { name: 'label', type_name: 'STRING', type_text: 'STRING' },
  { name: 'tags', type_name: 'ARRAY', type_text: 'ARRAY<STRING>' },
];

/** Row i (1-based) of ALL_TYPE_COLUMNS as Databricks sends it in JSON_ARRAY (every value a string, or null); `label` is the STRING column. */
export function allTypesRaw(i: number, label: string | null): (string | null)[] {
  const two = (n: number) => String(n).padStart(2, '0');
  return [
    (2n ** 53n + BigInt(i)).toString(),
    String(i),
    `${i}2345678901234567890.123456789`,
    String(i / 8),
    i % 2 === 0 ? 'true' : 'false',
    `2024-02-${two((i % 28) + 1)}`,
    `2024-02-29T23:59:${two(i % 60)}.123456Z`,
    label,
    JSON.stringify([`t${i}`, 'x']),
  ];
}

export interface StatementScript {
  columns: MockColumn[];
  /** Rows of each chunk, as JSON_ARRAY values (strings or null). */
  chunks: (string | null)[][][];
  /** GET polls answered PENDING, then RUNNING, before the statement succeeds (or fails). */
  pendingPolls?: number;
  runningPolls?: number;
  /** Ends FAILED with this error instead of succeeding. */
  error?: { error_code: string; message: string; sql_state?: string };
  /** ms before a chunk request is answered (to pause mid-read). */
  chunkDelayMs?: number;
}

export interface MockStatement {
  id: string;
  sql: string;
  body: Record<string, unknown>;
  script: StatementScript;
  polls: number;
  state: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'CLOSED';
  /** States reported by each GET of the statement, in order. */
  seen: string[];
  expired: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
  status: number;
  at: number;
}

export interface DatabricksMock {
  url: string;
  warehouseId: string;
  requests: LoggedRequest[];
  statements: Map<string, MockStatement>;
  /** Scripts by SQL text; a statement whose text has no script fails with a syntax error. */
  scripts: Map<string, StatementScript>;
  /** Forgets a statement, as Databricks does once its results expire: later calls get 404. */
  expire(id: string): void;
  /** Requests of the statements whose SQL is `sql` (the submits included). */
  requestsFor(sql: string): LoggedRequest[];
  close(): Promise<void>;
}

function manifest(script: StatementScript): Record<string, unknown> {
  let offset = 0;
  const chunks = script.chunks.map((rows, i) => {
    const c = { chunk_index: i, row_offset: offset, row_count: rows.length };
    offset += rows.length;
    return c;
  });
  return {
    format: 'JSON_ARRAY',
    schema: { column_count: script.columns.length, columns: script.columns.map((c, position) => ({ ...c, position })) },
    total_chunk_count: script.chunks.length,
    chunks,
    total_row_count: offset,
    truncated: false,
  };
}

function chunkData(s: MockStatement, index: number): Record<string, unknown> {
  const rows = s.script.chunks[index] ?? [];
  const offset = s.script.chunks.slice(0, index).reduce((n, c) => n + c.length, 0);
  const next = index + 1 < s.script.chunks.length ? { next_chunk_index: index + 1, next_chunk_internal_link: `/api/2.0/sql/statements/${s.id}/result/chunks/${index + 1}` } : {};
  return { chunk_index: index, row_offset: offset, row_count: rows.length, data_array: rows, ...next };
}

function statementBody(s: MockStatement): Record<string, unknown> {
  const status: Record<string, unknown> = { state: s.state };
  if (s.state === 'FAILED' && s.script.error) {
    status.error = { error_code: s.script.error.error_code, message: s.script.error.message };
    if (s.script.error.sql_state) status.sql_state = s.script.error.sql_state;
  }
  const out: Record<string, unknown> = { statement_id: s.id, status };
  if (s.state === 'SUCCEEDED') {
    out.manifest = manifest(s.script);
    if (s.script.chunks.length > 0) out.result = chunkData(s, 0);
  }
  return out;
}

/** Moves a statement one poll along its script. */
function advance(s: MockStatement): void {
  if (s.state !== 'PENDING' && s.state !== 'RUNNING') return;
  s.polls += 1;
  const pending = s.script.pendingPolls ?? 0;
  const running = s.script.runningPolls ?? 0;
  if (s.polls <= pending) s.state = 'PENDING';
  else if (s.polls <= pending + running) s.state = 'RUNNING';
  else s.state = s.script.error ? 'FAILED' : 'SUCCEEDED';
}

export async function startDatabricksMock(options: { token: string; warehouseId?: string }): Promise<DatabricksMock> {
  const warehouseId = options.warehouseId ?? 'abc123def456';
  const requests: LoggedRequest[] = [];
  const statements = new Map<string, MockStatement>();
  const scripts = new Map<string, StatementScript>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const text = Buffer.concat(chunks).toString();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const entry: LoggedRequest = { method: req.method ?? 'GET', path, body, authorization: req.headers.authorization, status: 0, at: Date.now() };
      requests.push(entry);
      const send = (status: number, out: unknown, delayMs = 0): void => {
        entry.status = status;
        const write = (): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(out));
        };
        if (delayMs > 0) setTimeout(write, delayMs);
        else write();
      };
      const error = (status: number, error_code: string, message: string): void => send(status, { error_code, message });

      if (req.headers.authorization !== `Bearer ${options.token}`) return error(401, 'UNAUTHENTICATED', 'Invalid access token.');

      let m: RegExpExecArray | null;
      if (req.method === 'GET' && (m = /^\/api\/2\.0\/sql\/warehouses\/([^/]+)$/.exec(path))) {
        return m[1] === warehouseId ? send(200, { id: warehouseId, name: 'Test warehouse', state: 'STOPPED' }) : error(404, 'RESOURCE_DOES_NOT_EXIST', `Warehouse ${m[1]} does not exist.`);
      }
      if (req.method === 'POST' && path === '/api/2.0/sql/statements') {
        const b = (body ?? {}) as Record<string, unknown>;
        if (typeof b.statement !== 'string' || b.statement.trim() === '') return error(400, 'INVALID_PARAMETER_VALUE', 'statement is required');
        if (b.warehouse_id !== warehouseId) return error(400, 'INVALID_PARAMETER_VALUE', `Warehouse ${String(b.warehouse_id)} does not exist.`);
        if (b.disposition !== 'INLINE' || b.format !== 'JSON_ARRAY') return error(400, 'INVALID_PARAMETER_VALUE', 'this mock serves INLINE JSON_ARRAY results only');
        if (typeof b.wait_timeout !== 'string' || !/^(0|[5-9]|[1-4]\d|50)s$/.test(b.wait_timeout)) return error(400, 'INVALID_PARAMETER_VALUE', 'wait_timeout must be 0s or between 5s and 50s');
        const script = scripts.get(b.statement) ?? { columns: [], chunks: [], error: { error_code: 'BAD_REQUEST', message: `[PARSE_SYNTAX_ERROR] Syntax error at or near '${b.statement.slice(0, 20)}'.`, sql_state: '42601' } };
        const s: MockStatement = { id: crypto.randomUUID(), sql: b.statement, body: b, script, polls: 0, state: 'PENDING', seen: [], expired: false };
        statements.set(s.id, s);
        // A statement without scripted waiting finishes within wait_timeout, so the submit answers with its result.
        if ((script.pendingPolls ?? 0) + (script.runningPolls ?? 0) === 0) s.state = script.error ? 'FAILED' : 'SUCCEEDED';
        return send(200, statementBody(s));
      }
      if ((m = /^\/api\/2\.0\/sql\/statements\/([^/]+)(\/.*)?$/.exec(path))) {
        const s = statements.get(m[1]!);
        const rest = m[2] ?? '';
        if (!s || s.expired) return error(404, 'NOT_FOUND', `The statement ${m[1]} was not found or its results expired.`);
        if (req.method === 'GET' && rest === '') {
          advance(s);
          s.seen.push(s.state);
          return send(200, statementBody(s));
        }
        if (req.method === 'POST' && rest === '/cancel') {
          if (s.state === 'PENDING' || s.state === 'RUNNING') s.state = 'CANCELED';
          return send(200, {});
        }
        const c = /^\/result\/chunks\/(\d+)$/.exec(rest);
        if (req.method === 'GET' && c) {
          const index = Number(c[1]);
          if (s.state !== 'SUCCEEDED') return error(400, 'BAD_REQUEST', `The statement is ${s.state}; results are not available.`);
          if (index >= s.script.chunks.length) return error(400, 'INVALID_PARAMETER_VALUE', `Chunk index ${index} is out of range.`);
          return send(200, chunkData(s, index), s.script.chunkDelayMs ?? 0);
        }
      }
      return error(404, 'ENDPOINT_NOT_FOUND', `No API found for '${req.method} ${path}'`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    warehouseId,
    requests,
    statements,
    scripts,
    expire(id) {
      const s = statements.get(id);
      if (s) s.expired = true;
    },
    requestsFor(sql) {
      const ids = new Set([...statements.values()].filter((s) => s.sql === sql).map((s) => s.id));
      return requests.filter((r) => (r.method === 'POST' && r.path === '/api/2.0/sql/statements' && (r.body as { statement?: string } | undefined)?.statement === sql) || [...ids].some((id) => r.path.includes(id)));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
