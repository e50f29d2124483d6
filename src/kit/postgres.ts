// How every PostgreSQL connection Sluice opens (sources, destinations, the metadata database, the
// dev command) talks TCP: a bounded connect, keepalive probes so a peer that vanished without a
// word is noticed, and optionally a server-side statement timeout. One place, so no connection
// is opened without them.
import type pg from 'pg';

/** Longest wait for a connection to be established and authenticated, unless configured otherwise. */
export const PG_CONNECT_TIMEOUT_MS = 30_000;

/**
 * Idle time after which the OS starts sending TCP keepalive probes on a connection (the probe
 * interval and count are the OS's). Without it, a connection whose peer or route vanished
 * silently looks alive for hours (Linux waits 2 h before the first probe by default).
 */
export const PG_KEEPALIVE_INITIAL_DELAY_MS = 30_000;

export interface PgTimeouts {
  /** ms; default PG_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** ms; the server cancels any statement that runs longer. Unset: the server's own setting. */
  statementTimeoutMs?: number;
}

/** The pg client (or pool) options for connect timeout, keepalive and statement timeout; spread them into the config. */
export function pgConnectionOptions(timeouts: PgTimeouts = {}): pg.ClientConfig {
  return {
    connectionTimeoutMillis: Math.max(1, Math.floor(timeouts.connectTimeoutMs ?? PG_CONNECT_TIMEOUT_MS)),
    keepAlive: true,
    keepAliveInitialDelayMillis: PG_KEEPALIVE_INITIAL_DELAY_MS,
    ...(timeouts.statementTimeoutMs ? { statement_timeout: Math.max(1, Math.floor(timeouts.statementTimeoutMs)) } : {}),
  };
}
