// Ships the log lines of this worker's node attempts to the API (POST /api/v1/ingest/logs). Lines
// are captured from each attempt's logger, written to a spool on disk in numbered segments (one
// segment = one batch), and sent oldest first, one batch at a time, retried with backoff while the
// API is unreachable. The spool is bounded: past its size the oldest segments go, and a line per
// node attempt says how many of its lines were dropped. Numbers (seq) let the API store a batch
// sent twice only once; the spool survives a restart of the worker.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pino, type DestinationStream, type Level } from 'pino';
import { MAX_LOG_BATCH_LINES } from '../../dag/limits.js';
import { LOG_OPTIONS, type Logger } from '../../log.js';
import type { IngestLine } from '../../store/logs.js';
import { shippedLine, type ShippedLine } from './line.js';
import type { AttemptLogs } from '../../activities/executor.js';

export interface LogShipperOptions {
  /** The API's base URL (SLUICE_API_URL). */
  apiUrl: string;
  /** A site key of `site` (SLUICE_LOG_KEY). */
  key: string;
  /** `central` or the worker's site. */
  site: string;
  /** The spool directory (SLUICE_LOG_BUFFER_DIR). */
  dir: string;
  /** The spool's bound in bytes (SLUICE_LOG_BUFFER_SIZE). */
  maxBytes: number;
  /** This worker's own log (never shipped). */
  logger: Logger;
  /** How often captured lines are written to the spool (ms). */
  flushMs?: number;
  /** Longest wait between two tries while the API is unreachable (ms). */
  maxBackoffMs?: number;
}


/** Bytes per segment: well under the API's body limit (MAX_LOG_BODY_BYTES), whatever the lines. */
const SEGMENT_BYTES = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;
const SEGMENT = /^seg-(\d{16})\.jsonl$/;

interface Segment {
  name: string;
  bytes: number;
}

/** A 16-digit name, so names sort as numbers. */
const segmentName = (seq: number) => `seg-${String(seq).padStart(16, '0')}.jsonl`;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class LogShipper implements AttemptLogs {
  /** Lines captured since the last flush. */
  private pending: ShippedLine[] = [];
  private segments: Segment[] = [];
  /** Lines dropped from the spool since the last flush, per run and node (instances with their node): each becomes one line. */
  private dropped = new Map<string, { runId: string; nodeId: string; attempt: number; count: number }>();
  private nextSeq = 1;
  private source = '';
  private inFlight: string | null = null;
  /** Serialises writes, drops and the removal of sent segments. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly stop = new AbortController();
  private wakeSender: () => void = () => undefined;
  private flushTimer: NodeJS.Timeout | null = null;
  private sender: Promise<void> = Promise.resolve();
  private refusedState: string | null = null;

  private constructor(private readonly o: LogShipperOptions) {}

  /** Opens (or creates) the spool and starts sending what it holds. */
  static async start(o: LogShipperOptions): Promise<LogShipper> {
    const s = new LogShipper(o);
    await s.open();
    s.flushTimer = setInterval(() => void s.flush(), o.flushMs ?? 250);
    s.flushTimer.unref();
    s.sender = s.send();
    return s;
  }

  private async open(): Promise<void> {
    const { dir } = this.o;
    await fs.promises.mkdir(dir, { recursive: true });
    const sourceFile = path.join(dir, 'source');
    try {
      this.source = (await fs.promises.readFile(sourceFile, 'utf8')).trim();
    } catch {
      this.source = `w${crypto.randomBytes(12).toString('hex')}`;
      await fs.promises.writeFile(sourceFile, this.source);
    }
    try {
      this.nextSeq = Number((await fs.promises.readFile(path.join(dir, 'next-seq'), 'utf8')).trim()) || 1;
    } catch {
      this.nextSeq = 1;
    }
    for (const name of (await fs.promises.readdir(dir)).filter((n) => SEGMENT.test(n)).sort()) {
      this.segments.push({ name, bytes: (await fs.promises.stat(path.join(dir, name))).size });
    }
  }

  /** The spool's id, as the API knows it. */
  get sourceId(): string {
    return this.source;
  }

  attemptLogger(parent: Logger, bindings: { runId: string; nodeId: string; attempt: number; site: string; type: string }, secrets: () => readonly string[]): Logger {
    // The attempt's lines go where the worker's own lines go, at the worker's level, and, from info
    // up, into the spool: a second stream on a logger of the attempt's own.
    const stream = (parent as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
    const capture: DestinationStream = { write: (line: string) => this.capture(line, secrets()) };
    const streams: { level: Level; stream: DestinationStream }[] = [{ level: 'info', stream: capture }];
    const levels = parent.levels.values;
    const parentLevel = parent.level as Level | 'silent';
    if (stream && parentLevel !== 'silent') streams.push({ level: parentLevel, stream });
    const lowest = parentLevel !== 'silent' && levels[parentLevel]! < levels.info! ? parentLevel : 'info';
    return pino({ ...LOG_OPTIONS, level: lowest }, pino.multistream(streams)).child({ ...parent.bindings(), ...bindings });
  }

  private capture(json: string, secrets: readonly string[]): void {
    const line = shippedLine(json, secrets);
    if (!line) return;
    this.pending.push(line);
    if (this.pending.length >= MAX_LOG_BATCH_LINES) void this.flush();
  }

  /** Writes captured lines (and notes of dropped ones) to the spool, then keeps it within its bound. */
  flush(): Promise<unknown> {
    this.chain = this.chain.then(() => this.writeSegments()).catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message }, 'could not write the log spool'));
    return this.chain;
  }

  private async writeSegments(): Promise<void> {
    const notes: ShippedLine[] = [...this.dropped.values()].map((d) => ({
      time: new Date().toISOString(),
      runId: d.runId,
      nodeId: d.nodeId,
      attempt: d.attempt,
      level: 'warn',
      msg: `${d.count} log line(s) of node ${d.nodeId} (its attempts and instances up to attempt ${d.attempt}) were dropped: the worker's log buffer (${this.o.maxBytes} bytes, SLUICE_LOG_BUFFER_SIZE) was full while the API could not be reached`,
      fields: { droppedLines: d.count },
    }));
    this.dropped.clear();
    const lines = [...this.pending, ...notes];
    this.pending = [];
    if (lines.length === 0) return;
    let start = 0;
    while (start < lines.length) {
      let bytes = 0;
      let end = start;
      const text: string[] = [];
      while (end < lines.length && end - start < MAX_LOG_BATCH_LINES) {
        const numbered: IngestLine = { seq: this.nextSeq + (end - start), ...lines[end]! };
        const t = JSON.stringify(numbered);
        if (end > start && bytes + t.length + 1 > SEGMENT_BYTES) break;
        text.push(t);
        bytes += Buffer.byteLength(t) + 1;
        end++;
      }
      const first = this.nextSeq;
      this.nextSeq += end - start;
      // The next number is saved first: after a crash, numbers never go back (the API would take
      // lines under an old number for ones it already has).
      await fs.promises.writeFile(path.join(this.o.dir, 'next-seq'), String(this.nextSeq));
      const name = segmentName(first);
      const tmp = path.join(this.o.dir, `${name}.tmp`);
      await fs.promises.writeFile(tmp, text.join('\n') + '\n');
      await fs.promises.rename(tmp, path.join(this.o.dir, name));
      this.segments.push({ name, bytes });
      start = end;
    }
    await this.keepBound();
    this.wakeSender();
  }

  private async keepBound(): Promise<void> {
    let total = this.segments.reduce((n, s) => n + s.bytes, 0);
    while (total > this.o.maxBytes) {
      // The newest segment always stays: it holds the notes of the last drop, which must get through.
      const victim = this.segments.slice(0, -1).find((s) => s.name !== this.inFlight);
      if (!victim) return;
      const lines = await this.readSegment(victim.name);
      for (const l of lines) {
        // One note per run and node, however many attempts and instances (`each[17]`) lost lines.
        const nodeId = l.nodeId.replace(/\[\d+\]$/, '');
        const key = `${l.runId}\u0000${nodeId}`;
        const d = this.dropped.get(key) ?? { runId: l.runId, nodeId, attempt: l.attempt, count: 0 };
        d.attempt = Math.max(d.attempt, l.attempt);
        // A note of dropped lines that is itself dropped carries its count on.
        const carried = l.fields?.droppedLines;
        d.count += typeof carried === 'number' ? carried : 1;
        this.dropped.set(key, d);
      }
      await fs.promises.rm(path.join(this.o.dir, victim.name), { force: true });
      this.segments = this.segments.filter((s) => s !== victim);
      total -= victim.bytes;
    }
  }

  private async readSegment(name: string): Promise<IngestLine[]> {
    let text: string;
    try {
      text = await fs.promises.readFile(path.join(this.o.dir, name), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .flatMap((t) => {
        try {
          return [JSON.parse(t) as IngestLine];
        } catch {
          return []; // a torn last line of a crash: the rest of the segment still goes
        }
      });
  }

  private async post(body: unknown): Promise<Response> {
    return fetch(new URL('/api/v1/ingest/logs', this.o.apiUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${this.o.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), this.stop.signal]),
    });
  }

  /** Says what went wrong once per kind of trouble, not on every retry. */
  private trouble(kind: string, fields: object, msg: string): void {
    if (this.refusedState === kind) return;
    this.refusedState = kind;
    this.o.logger.warn(fields, msg);
  }

  /** The sender: oldest segment first, one at a time, until stopped. */
  private async send(): Promise<void> {
    const maxBackoff = this.o.maxBackoffMs ?? 10_000;
    let backoff = 0;
    while (!this.stop.signal.aborted) {
      const seg = this.segments[0];
      if (!seg) {
        // close() wakes it too, after aborting.
        await new Promise<void>((resolve) => {
          this.wakeSender = resolve;
        });
        continue;
      }
      this.inFlight = seg.name;
      let lines = await this.readSegment(seg.name);
      let wait = 0;
      let done = false;
      try {
        while (!done && lines.length > 0) {
          const res = await this.post({ source: this.source, site: this.o.site, lines });
          const answer = (await res.json().catch(() => ({}))) as { detail?: string; errors?: { path: string }[] };
          if (res.ok) {
            done = true;
          } else if (res.status === 422 && answer.errors?.some((e) => /^lines\[\d+\]/.test(e.path))) {
            // Lines the API will not take (a run it no longer knows): send the others.
            const bad = new Set(answer.errors.map((e) => /^lines\[(\d+)\]/.exec(e.path)?.[1]).filter((i): i is string => i !== undefined).map(Number));
            this.o.logger.warn({ refused: bad.size, detail: answer.detail }, 'the API refused some log lines; sending the rest');
            lines = lines.filter((_, i) => !bad.has(i));
          } else if (res.status === 400 || res.status === 413 || res.status === 422) {
            this.o.logger.warn({ status: res.status, detail: answer.detail, lines: lines.length }, 'the API refused a batch of log lines; dropping it');
            done = true;
          } else {
            // 401/403 (a key to fix), 429 (Retry-After), 5xx: keep the batch and try again later.
            const retryAfter = Number(res.headers.get('retry-after'));
            wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0;
            this.trouble(`http-${res.status}`, { status: res.status, detail: answer.detail }, 'the API did not take the log lines; keeping them and trying again');
            break;
          }
        }
        if (lines.length === 0) done = true;
      } catch (err) {
        if (this.stop.signal.aborted) break;
        this.trouble('unreachable', { err: (err as Error).message, apiUrl: this.o.apiUrl }, 'the API is unreachable; keeping log lines on disk and trying again');
      }
      if (done) {
        this.refusedState = null;
        backoff = 0;
        this.chain = this.chain.then(async () => {
          await fs.promises.rm(path.join(this.o.dir, seg.name), { force: true });
          this.segments = this.segments.filter((s) => s.name !== seg.name);
        });
        await this.chain;
        this.inFlight = null;
        continue;
      }
      this.inFlight = null;
      backoff = Math.min(maxBackoff, backoff === 0 ? 500 : backoff * 2);
      await sleep(Math.max(wait, backoff / 2 + Math.random() * (backoff / 2)), this.stop.signal);
    }
  }

  /** Writes what is captured to the spool and tries, for up to `graceMs`, to send what it holds; the rest waits on disk. */
  async close(graceMs = 3_000): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flush();
    const deadline = Date.now() + graceMs;
    while (this.segments.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.stop.abort();
    this.wakeSender();
    await this.sender;
  }
}

/** Tells the API once that this site keeps its logs (its policy's `logs.ship: false`); lines are never sent. */
export async function announceNotShipping(o: Pick<LogShipperOptions, 'apiUrl' | 'key' | 'site' | 'dir' | 'logger'>): Promise<void> {
  await fs.promises.mkdir(o.dir, { recursive: true });
  const sourceFile = path.join(o.dir, 'source');
  let source: string;
  try {
    source = (await fs.promises.readFile(sourceFile, 'utf8')).trim();
  } catch {
    source = `w${crypto.randomBytes(12).toString('hex')}`;
    await fs.promises.writeFile(sourceFile, source);
  }
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const res = await fetch(new URL('/api/v1/ingest/logs', o.apiUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source, site: o.site, shipping: false }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (res.ok) return;
      if (res.status < 500 && res.status !== 429) {
        o.logger.warn({ status: res.status }, 'the API refused to hear that this site keeps its logs');
        return;
      }
    } catch {
      // unreachable: try again shortly
    }
    await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** attempt)).unref());
  }
}
