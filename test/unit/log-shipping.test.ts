// What a worker ships of a node attempt's log: info and above, scrubbed of the attempt's secret
// values wherever they stand (message, fields, keys), cut to the API's limits; and a spool that,
// past its bound, drops its oldest lines and says how many per attempt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ingestLine } from '../../src/api/log-schemas.js';
import { MAX_LOG_FIELDS_BYTES, MAX_LOG_MESSAGE_LENGTH } from '../../src/dag/limits.js';
import { shippedLine } from '../../src/worker/logs/line.js';
import { LogShipper } from '../../src/worker/logs/shipper.js';

const SECRET = 'postgres://etl:Hunter2-very-secret@db.acme.internal:5432/shop';
const bindings = { runId: 'orders-0123456789ab', nodeId: 'extract', attempt: 2, site: 'acme', type: 'postgres.read' };

function spool(maxBytes: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-log-spool-'));
  // Nothing listens there: every line stays in the spool.
  return LogShipper.start({ apiUrl: 'http://127.0.0.1:9', key: 'sk_0000000000000000_' + 'a'.repeat(43), site: 'acme', dir, maxBytes, logger: pino({ level: 'silent' }), flushMs: 60_000, maxBackoffMs: 60_000 }).then((s) => ({ s, dir }));
}

async function spooled(dir: string): Promise<Array<Record<string, unknown>>> {
  const names = fs.readdirSync(dir).filter((n) => n.startsWith('seg-') && n.endsWith('.jsonl')).sort();
  return names.flatMap((n) => fs.readFileSync(path.join(dir, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

test('an attempt logger ships info and above, scrubbed of secret values in the message, fields and keys, and still writes to the worker log', async () => {
  const { s, dir } = await spool(64 * 1024 * 1024);
  const written: string[] = [];
  const parent = pino({ level: 'debug' }, { write: (l: string) => void written.push(l) });
  const log = s.attemptLogger(parent, bindings, () => [SECRET]);
  log.debug('debug is not shipped');
  log.info({ url: SECRET, nested: { [SECRET]: [SECRET] } }, `connecting to ${SECRET}`);
  log.child({ part: 3 }).warn('password Hunter2-very-secret rejected');
  await s.flush();
  const lines = await spooled(dir);
  await s.close(0);
  assert.equal(lines.length, 2);
  const text = JSON.stringify(lines);
  assert.ok(!text.includes('Hunter2-very-secret'), text);
  assert.equal(lines[0]!.msg, 'connecting to ***');
  assert.deepEqual(lines[0]!.fields, { type: 'postgres.read', url: '***', nested: { '***': ['***'] } });
  assert.equal(lines[1]!.level, 'warn');
  assert.equal(lines[1]!.msg, 'password *** rejected');
  assert.deepEqual([lines[0]!.seq, lines[1]!.seq], [1, 2]);
  for (const l of lines) assert.equal(ingestLine.safeParse(l).success, true, JSON.stringify(l));
  // The worker's own log gets every line, debug too.
  assert.equal(written.length, 3);
  assert.equal(JSON.parse(written[0]!).runId, bindings.runId);
});

test('a line is cut to the API limits: long messages, huge fields, NUL and lone surrogates, deep nesting, prototype keys', () => {
  const raw = JSON.stringify({
    level: 50,
    time: Date.now(),
    ...bindings,
    msg: 'm\u0000' + '\ud800' + 'x'.repeat(MAX_LOG_MESSAGE_LENGTH * 2),
    deep: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } },
    __proto__x: 1,
    ['constructor']: 'c',
  });
  const line = shippedLine(raw, [])!;
  assert.ok(line.msg.length <= MAX_LOG_MESSAGE_LENGTH);
  assert.match(line.msg, /^m\ufffd\ufffdx+ … \(\d+ more characters cut\)$/);
  assert.equal(ingestLine.safeParse({ seq: 1, ...line }).success, true);
  assert.equal(line.fields!._constructor, 'c');
  const huge = shippedLine(JSON.stringify({ level: 30, time: Date.now(), ...bindings, msg: 'big', rows: Array.from({ length: 100 }, () => 'y'.repeat(4000)) }), [])!;
  assert.ok(Buffer.byteLength(JSON.stringify(huge.fields)) <= MAX_LOG_FIELDS_BYTES);
  assert.equal(ingestLine.safeParse({ seq: 1, ...huge }).success, true);
  assert.equal(shippedLine(JSON.stringify({ level: 30, time: 1, msg: 'not a node line' }), []), null);
});

test('past its bound the spool drops its oldest lines and adds one line per attempt saying how many', async () => {
  const { s, dir } = await spool(16 * 1024);
  const parent = pino({ level: 'silent' });
  const total = 400;
  for (let i = 0; i < total; i++) {
    const log = s.attemptLogger(parent, { ...bindings, nodeId: `step${i % 4}` }, () => []);
    log.info({ i }, `line ${i} ${'p'.repeat(100)}`);
    if (i % 50 === 49) await s.flush();
  }
  await s.flush();
  await s.flush(); // the notes of the last drop
  const lines = await spooled(dir);
  await s.close(0);
  const bytes = fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  assert.ok(bytes <= 16 * 1024 + 8 * 1024, `the spool stays near its bound (${bytes} bytes)`);
  const kept = lines.filter((l) => typeof (l.fields as { i?: number } | undefined)?.i === 'number');
  const notes = lines.filter((l) => typeof (l.fields as { droppedLines?: number } | undefined)?.droppedLines === 'number');
  const dropped = notes.reduce((n, l) => n + (l.fields as { droppedLines: number }).droppedLines, 0);
  assert.ok(notes.length > 0 && dropped > 0, 'drops are reported');
  assert.equal(kept.length + dropped, total, 'every line is either kept or counted as dropped');
  // The oldest went: what is kept is the newest lines, in order.
  const is = kept.map((l) => (l.fields as { i: number }).i);
  assert.deepEqual(is, Array.from({ length: kept.length }, (_, k) => total - kept.length + k));
  assert.match(String(notes[0]!.msg), /log line\(s\) of node step\d \(its attempts and instances up to attempt 2\) were dropped: the worker.s log buffer \(16384 bytes/);
});
