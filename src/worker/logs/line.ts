// One node attempt's log line as a worker ships it: taken from the JSON pino writes, scrubbed of the
// attempt's secret values, and cut to the API's limits (src/dag/limits.ts), so a batch of them is
// never refused for its shape.
import { scrubDeep } from '../../activities/errors.js';
import { FORBIDDEN_KEYS, MAX_KEY_LENGTH, MAX_LOG_FIELDS_BYTES, MAX_LOG_MESSAGE_LENGTH } from '../../dag/limits.js';
import type { IngestLine, LogLevelName } from '../../store/logs.js';

/** A line before its number: the spool numbers lines as it writes them. */
export type ShippedLine = Omit<IngestLine, 'seq'>;

/** Fields pino adds, or the attempt's bindings: columns of their own, not fields. */
const OWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'runId', 'nodeId', 'attempt', 'site', 'msg']);
/** Nesting kept in a line's fields; deeper values become a note. */
const FIELD_DEPTH = 8;
const FIELD_STRING = 4_096;
const FIELD_ITEMS = 100;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text PostgreSQL and the API accept: no NUL, no unpaired surrogate, at most `max` characters. */
export function cleanText(s: string, max: number): string {
  let out = s.replaceAll('\u0000', '\ufffd').replace(LONE_SURROGATE, '\ufffd');
  if (out.length > max) {
    const note = ` … (${out.length - max} more characters cut)`;
    out = out.slice(0, max - note.length).replace(/[\ud800-\udbff]$/, '') + note;
  }
  return out;
}

function cleanValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return cleanText(v, FIELD_STRING);
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= FIELD_DEPTH) return '[nested too deep]';
  if (Array.isArray(v)) {
    const items = v.slice(0, FIELD_ITEMS).map((item) => cleanValue(item, depth + 1));
    return v.length > FIELD_ITEMS ? [...items, `[${v.length - FIELD_ITEMS} more items]`] : items;
  }
  const out: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(v).slice(0, FIELD_ITEMS)) {
    const key = cleanText(FORBIDDEN_KEYS.has(k) ? `_${k}` : k, MAX_KEY_LENGTH);
    out[key] = cleanValue(item, depth + 1);
  }
  return out;
}

function levelOf(n: number): LogLevelName {
  return n >= 60 ? 'fatal' : n >= 50 ? 'error' : n >= 40 ? 'warn' : 'info';
}

/**
 * The line to ship from one JSON line pino wrote for a node attempt, or null for lines below info
 * or without the attempt's bindings. `secrets` are the values the attempt resolved.
 */
export function shippedLine(json: string, secrets: readonly string[]): ShippedLine | null {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof raw.level !== 'number' || raw.level < 30) return null;
  if (typeof raw.runId !== 'string' || typeof raw.nodeId !== 'string' || typeof raw.attempt !== 'number') return null;
  // Scrubbed as a whole: pino's own message text never went through the attempt logger's formatter.
  const scrubbed = scrubDeep(raw, secrets);
  const rest = Object.fromEntries(Object.entries(scrubbed).filter(([k]) => !OWN.has(k)));
  let fields = cleanValue(rest, 1) as Record<string, unknown>;
  const bytes = Buffer.byteLength(JSON.stringify(fields));
  if (bytes > MAX_LOG_FIELDS_BYTES) fields = { cut: `this line's fields were ${bytes} bytes as JSON; at most ${MAX_LOG_FIELDS_BYTES} are shipped` };
  return {
    time: new Date(typeof raw.time === 'number' ? raw.time : Date.now()).toISOString(),
    runId: raw.runId,
    nodeId: raw.nodeId,
    attempt: raw.attempt,
    level: levelOf(raw.level),
    msg: cleanText(typeof scrubbed.msg === 'string' ? scrubbed.msg : '', MAX_LOG_MESSAGE_LENGTH),
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
}
