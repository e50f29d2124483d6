// Registers the custom search attributes the workflow upserts, so Sluice works against any
// Temporal server (not only a dev server started with --search-attribute flags), and registers
// them again when the server comes back without them: an in-memory dev server that restarted
// forgets every registration, and then refuses every start that sets a Sluice search attribute
// and every workflow task that upserts one.
import proto from '@temporalio/proto';
import { isGrpcServiceError, type OperatorService, type WorkflowClientInterceptor } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../src/workflows/messages.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** What registering needs of a connection: a client Connection and a worker's NativeConnection both have it. */
export interface OperatorConnection {
  readonly operatorService: OperatorService;
}

const VALUE_TYPES: Record<string, IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Adds any missing Sluice search attribute to the namespace; returns the names it added. */
export async function ensureSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing: Record<string, IndexedValueType> = {};
  for (const key of SEARCH_ATTRIBUTES) {
    if (!known.has(key.name)) missing[key.name] = VALUE_TYPES[key.type]!;
  }
  const names = Object.keys(missing);
  if (names.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    // Another process may have registered them a moment ago; only fail if they are still missing.
    const again = await connection.operatorService.listSearchAttributes({ namespace });
    const stillMissing = names.filter((n) => !(n in (again.customAttributes ?? {})));
    if (stillMissing.length > 0) throw err;
  }
  return names;
}

const GRPC_INVALID_ARGUMENT = 3;

/**
 * Whether Temporal refused a request because a Sluice search attribute is not registered on the
 * namespace. Server 1.29 says `Namespace default has no mapping defined for search attribute
 * SluiceStatus` (SQL and Elasticsearch visibility word it alike, naming the attribute).
 */
export function isUnregisteredSearchAttribute(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (!isGrpcServiceError(e) || e.code !== GRPC_INVALID_ARGUMENT) continue;
    const text = `${e.details ?? ''} ${e.message}`;
    if (/search attribute/i.test(text) && SEARCH_ATTRIBUTES.some((k) => text.includes(k.name))) return true;
  }
  return false;
}

/** How long a start keeps retrying after registering, while the server's attribute cache catches up. */
const RETRY_AFTER_REGISTERING_MS = 5_000;

/**
 * A client interceptor that, when a workflow start fails because a Sluice search attribute is not
 * registered, registers them (once for all concurrent starts) and starts again. `onRegistered`
 * hears which names were added (to log them).
 */
export function registerSearchAttributesOnStart(
  connection: OperatorConnection,
  namespace: string,
  onRegistered?: (added: string[]) => void,
): WorkflowClientInterceptor {
  let registering: Promise<void> | null = null;
  const register = () =>
    (registering ??= ensureSearchAttributes(connection, namespace)
      .then((added) => {
        if (added.length > 0) onRegistered?.(added);
      })
      .finally(() => {
        registering = null;
      }));
  async function again<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (err) {
      if (!isUnregisteredSearchAttribute(err)) throw err;
    }
    await register();
    const deadline = Date.now() + RETRY_AFTER_REGISTERING_MS;
    for (let wait = 100; ; wait = Math.min(wait * 2, 1_000)) {
      try {
        return await start();
      } catch (err) {
        // Registered, but a frontend may serve its cached (empty) mapping for a moment longer.
        if (!isUnregisteredSearchAttribute(err) || Date.now() + wait > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  return {
    startWithDetails: (input, next) => again(() => next(input)),
    signalWithStart: (input, next) => again(() => next(input)),
  };
}

/** How often a worker checks that the search attributes are still registered. */
export const SEARCH_ATTRIBUTE_CHECK_MS = 30_000;

/**
 * Checks every `intervalMs` that the Sluice search attributes are registered, and registers them
 * when the server has lost them (restarted empty): the workflow's own upserts need them. Failures
 * (the server is down) are reported to `onError` and tried again at the next tick. Returns a stop
 * function; the timer does not keep the process alive.
 */
export function keepSearchAttributesRegistered(
  connection: OperatorConnection,
  namespace: string,
  options: {
    intervalMs?: number;
    /** Checked before each tick: once false, the checks stop (e.g. the worker stopped). */
    active?: () => boolean;
    onRegistered?: (added: string[]) => void;
    onError?: (err: unknown) => void;
  } = {},
): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (options.active && !options.active()) {
      clearInterval(timer);
      return;
    }
    if (busy) return;
    busy = true;
    ensureSearchAttributes(connection, namespace)
      .then((added) => {
        if (added.length > 0) options.onRegistered?.(added);
      })
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        busy = false;
      });
  }, options.intervalMs ?? SEARCH_ATTRIBUTE_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
