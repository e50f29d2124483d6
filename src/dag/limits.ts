// Every limit on what a client may send, declared once: the spec schema, the value guard, the
// parsers, the API and docs/api.md ("Limits") all read these numbers, so the documentation, the
// checks and the messages cannot drift apart. They keep any one request cheap to check (a fast 4xx,
// never a held event loop) and keep what Temporal, Node timers and PostgreSQL accept.

/** Largest 32-bit signed integer: versions, attempts (PostgreSQL `integer`, protobuf `int32`). */
export const MAX_INT32 = 2_147_483_647;

/**
 * Longest duration (ms) anywhere in a spec: Node timers hold at most 2^31-1 ms (24d 20h 31m 23.647s)
 * and fire at once beyond it, so a longer timeout would silently mean "no time at all".
 */
export const MAX_DURATION_MS = MAX_INT32;

/** Body sizes, in bytes, as the body parsers take them. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** YAML parses ~20x slower than JSON (the `yaml` package: ~2 µs a byte): larger specs are sent as JSON. */
export const MAX_YAML_SPEC_BYTES = 64 * 1024;
export const MAX_RUN_BODY_BYTES = 256 * 1024;
export const MAX_KEY_BODY_BYTES = 16 * 1024;

/**
 * Log lines a worker sends (POST /api/v1/ingest/logs): the body, lines per batch, a line's message
 * and its other fields (as JSON). Workers cut what is longer before sending, so their batches fit.
 */
export const MAX_LOG_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_LOG_BATCH_LINES = 1_000;
export const MAX_LOG_MESSAGE_LENGTH = 8_192;
export const MAX_LOG_FIELDS_BYTES = 16_384;
/** Lines per page of GET /api/v1/runs/{id}/logs. */
export const MAX_LOG_PAGE = 1_000;
/** Log streams (`?follow=1`) one API process serves at once; past it a follow is 503. */
export const MAX_LOG_FOLLOWERS = 200;

/** What a YAML document may expand to through aliases (approximately its size as JSON). */
export const MAX_YAML_EXPANDED_BYTES = MAX_SPEC_BYTES;
/** How long the YAML parser may work on one document before the request is refused. */
export const YAML_PARSE_TIMEOUT_MS = 2_000;

/** Nesting of objects and arrays in any body, the document itself being level 1 (a node's config starts at level 4). */
export const MAX_DEPTH = 32;
/**
 * Nesting at which a parser refuses text before building its value (a 400 at `body`, with line:col).
 * Between MAX_DEPTH and this, the value is built and the guard names the path that is too deep.
 */
export const MAX_PARSE_DEPTH = 4 * MAX_DEPTH;
/** Longest string anywhere in a body (a SQL query, a template...), in UTF-16 code units. */
export const MAX_STRING_LENGTH = 65_536;
/** Longest object key anywhere in a body. */
export const MAX_KEY_LENGTH = 128;

/** Nodes in one spec. */
export const MAX_NODES = 10_000;
/** Items of one mapped node (`forEach`): each runs as its own node activity. */
export const MAX_MAP_ITEMS = 100_000;
/** `notify` entries of one spec. */
export const MAX_NOTIFY = 10;
/** Longest webhook URL. */
export const MAX_URL_LENGTH = 2_048;
/** Declared params in one spec. */
export const MAX_PARAMS = 256;

export const MAX_PIPELINE_NAME_LENGTH = 63;
export const MAX_NODE_ID_LENGTH = 64;
export const MAX_NODE_TYPE_LENGTH = 64;
export const MAX_SITE_LENGTH = 63;
export const MAX_PARAM_NAME_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 4_096;
/** `when` conditions and error type names. */
export const MAX_SHORT_TEXT_LENGTH = 1_024;
/**
 * Runs of one pipeline at once (`concurrency.limit`): each holder is a row the API and the central
 * workers read, and a leaked one is checked against Temporal, so the number is kept modest.
 */
export const MAX_CONCURRENCY_LIMIT = 1_000;

/** A schedule id: `[a-z0-9][a-z0-9-]*`; its runs' ids add `-<RFC 3339 time>` (21 characters). */
export const MAX_SCHEDULE_ID_LENGTH = 100;
/** A schedule's cron expression (5 to 7 fields, or a macro such as @daily). */
export const MAX_CRON_LENGTH = 128;
/** A schedule's note. */
export const MAX_SCHEDULE_NOTE_LENGTH = 1_024;
/** A schedule's interval: at least 1s, at most 366d. */
export const MIN_SCHEDULE_INTERVAL_MS = 1_000;
export const MAX_SCHEDULE_INTERVAL_MS = 366 * 86_400_000;
/** A schedule's catch-up window: Temporal's minimum is 10s; at most 366d. */
export const MIN_CATCHUP_WINDOW_MS = 10_000;
/** Runs one backfill may start: the range is counted first (Temporal lists at most 1,000 times). */
export const MAX_BACKFILL_RUNS = 500;

/** At most this much of a value a client sent is quoted back in a message. */
export const MAX_ECHO = 200;
/** Problems reported for one spec or body; past this, one more entry says how many were left out. */
export const MAX_ISSUES = 100;
/** Times the rest of a strongly connected part is searched again for one more cycle (each a pass over it). */
export const MAX_CYCLES = 20;

/** "Did you mean" is offered for names up to this long... */
export const MAX_SUGGEST_LENGTH = 32;
/** ...among at most this many candidates... */
export const MAX_SUGGEST_CANDIDATES = 1_000;
/** ...for at most this many names per validation. */
export const MAX_SUGGESTIONS = 50;

/** Keys that would reach an object's prototype when copied onto a plain object; never valid in a body. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
