// What the postgres connector makes of a lost connection, and the TCP options every connection gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pgConnectionOptions, PG_CONNECT_TIMEOUT_MS, PG_KEEPALIVE_INITIAL_DELAY_MS } from '../../../src/kit/index.js';
import { connectionLost } from '../connect.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

test('a reset or terminated connection is reported as lost, naming the side; SQL errors pass through', () => {
  for (const err of [
    withCode('read ECONNRESET', 'ECONNRESET'),
    new Error('Connection terminated unexpectedly'),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('connection failure', '08006'),
  ]) {
    const lost = connectionLost(err, 'destination') as Error;
    assert.equal(lost.message, `lost the connection to the destination database: ${err.message}`);
  }
  const syntax = withCode('syntax error at or near "selct"', '42601');
  assert.equal(connectionLost(syntax, 'source'), syntax);
  const unique = withCode('duplicate key value violates unique constraint', '23505');
  assert.equal(connectionLost(unique, 'destination'), unique);
});

test('every connection gets a connect timeout and TCP keepalive, and a statement timeout when one is given', () => {
  assert.deepEqual(pgConnectionOptions(), { connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: PG_KEEPALIVE_INITIAL_DELAY_MS });
  assert.deepEqual(pgConnectionOptions({ connectTimeoutMs: 1500, statementTimeoutMs: 60_000 }), {
    connectionTimeoutMillis: 1500,
    keepAlive: true,
    keepAliveInitialDelayMillis: PG_KEEPALIVE_INITIAL_DELAY_MS,
    statement_timeout: 60_000,
  });
});
