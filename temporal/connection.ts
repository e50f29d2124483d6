// One place that turns configuration into a Temporal connection (client or worker side).
import fs from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../src/config.js';

function tlsOptions(config: Config) {
  const cert = config.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = config.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const ca = config.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  if (!cert && !key && !ca) return config.TEMPORAL_API_KEY ? true : undefined;
  return {
    ...(cert && key ? { clientCertPair: { crt: fs.readFileSync(cert), key: fs.readFileSync(key) } } : {}),
    ...(ca ? { serverRootCACertificate: fs.readFileSync(ca) } : {}),
  };
}

/** A client-side connection (API, CLI, tests). */
export async function connectClient(config: Config): Promise<Connection> {
  const options: ConnectionOptions = { address: config.TEMPORAL_ADDRESS };
  const tls = tlsOptions(config);
  if (tls) options.tls = tls;
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  return Connection.connect(options);
}

/** A worker-side connection. */
export async function connectWorker(config: Config): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: config.TEMPORAL_ADDRESS };
  const tls = tlsOptions(config);
  if (tls) options.tls = tls;
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  return NativeConnection.connect(options);
}
